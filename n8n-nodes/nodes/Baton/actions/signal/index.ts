import type { INodeProperties } from 'n8n-workflow';
import * as evaluate from './evaluate.operation';

export const operations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['signal'] } },
		options: [
			{
				name: 'Evaluate',
				value: 'evaluate',
				description:
					'Should this message go to a person? Scope rules, an explicit request, then confidence — no model call',
				action: 'Evaluate handoff signals',
			},
		],
		default: 'evaluate',
	},
];

export const descriptions: INodeProperties[] = [...operations, ...evaluate.description];

export const handlers = {
	evaluate: evaluate.execute,
};
