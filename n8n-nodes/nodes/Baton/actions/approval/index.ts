import type { INodeProperties } from 'n8n-workflow';
import * as request from './request.operation';

export const operations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['approval'] } },
		options: [
			{
				name: 'Request',
				value: 'request',
				description:
					'Ask a person to approve, edit or reject a proposal, and optionally wait for it',
				action: 'Request an approval',
			},
		],
		default: 'request',
	},
];

export const descriptions: INodeProperties[] = [...operations, ...request.description];

export const handlers = {
	request: request.execute,
};
