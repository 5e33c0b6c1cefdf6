import type { INodeProperties } from 'n8n-workflow';
import * as get from './get.operation';
import * as getHistory from './getHistory.operation';
import * as handBack from './handBack.operation';
import * as recordMessage from './recordMessage.operation';
import * as sendAiAnswer from './sendAiAnswer.operation';

export const operations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['session'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: 'Who owns the conversation now, and its open takeover',
				action: 'Get a session',
			},
			{
				name: 'Get History',
				value: 'getHistory',
				description: 'The ordered transcript, including reviewer turns and handback summaries',
				action: 'Get the history of a session',
			},
			{
				name: 'Hand Back',
				value: 'handBack',
				description: 'Give the conversation back to the AI, with a summary it will read',
				action: 'Hand a session back to the AI',
			},
			{
				name: 'Record Message (Turn Gate)',
				value: 'recordMessage',
				description:
					'Record a turn and learn who answers next: call it on every inbound message, branch on "owner"',
				action: 'Record a message and get the owner',
			},
			{
				name: 'Send AI Answer',
				value: 'sendAiAnswer',
				description:
					"Answer a web visitor of Baton's chat widget: records the AI's turn and Baton shows it in the widget",
				action: 'Send an AI answer to a web visitor',
			},
		],
		default: 'recordMessage',
	},
];

export const descriptions: INodeProperties[] = [
	...operations,
	...recordMessage.description,
	...get.description,
	...getHistory.description,
	...handBack.description,
	...sendAiAnswer.description,
];

export const handlers = {
	get: get.execute,
	getHistory: getHistory.execute,
	handBack: handBack.execute,
	recordMessage: recordMessage.execute,
	sendAiAnswer: sendAiAnswer.execute,
};
