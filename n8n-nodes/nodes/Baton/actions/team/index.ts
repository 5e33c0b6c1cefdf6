import type { INodeProperties } from 'n8n-workflow';
import * as getRouting from './getRouting.operation';

export const operations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['team'] } },
		options: [
			{
				name: 'Get Routing',
				value: 'getRouting',
				description:
					'Whether the team is open now and when it opens, its assignment policy and who is online',
				action: 'Get the routing of a team',
			},
		],
		default: 'getRouting',
	},
];

export const descriptions: INodeProperties[] = [...operations, ...getRouting.description];

export const handlers = {
	getRouting: getRouting.execute,
};
