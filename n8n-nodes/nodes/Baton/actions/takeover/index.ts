import type { INodeProperties } from 'n8n-workflow';
import * as get from './get.operation';
import * as request from './request.operation';

export const operations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['takeover'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: 'Status, timings and outcome of a takeover',
				action: 'Get a takeover',
			},
			{
				name: 'Request',
				value: 'request',
				description: 'Hand the conversation to a person in the Baton inbox',
				action: 'Request a human takeover',
			},
		],
		default: 'request',
	},
];

export const descriptions: INodeProperties[] = [
	...operations,
	...request.description,
	...get.description,
];

export const handlers = {
	get: get.execute,
	request: request.execute,
};
