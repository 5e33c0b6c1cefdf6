import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type { HandbackRequest, SessionState } from '../../../shared/api';
import { batonApiRequest, sessionPath } from '../../../shared/transport';
import { compact, getSessionId, sessionIdField } from '../common';

export const description: INodeProperties[] = [
	sessionIdField('session', ['handBack']),
	{
		displayName: 'Summary',
		name: 'summary',
		type: 'string',
		default: '',
		typeOptions: { rows: 3 },
		description:
			'What happened while a person had the conversation. Baton appends it to the history, so the AI reads it on the next turn.',
		displayOptions: { show: { resource: ['session'], operation: ['handBack'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const body: HandbackRequest = compact({
		summary: this.getNodeParameter('summary', itemIndex, '') as string,
	});
	const response = await batonApiRequest<SessionState>(this, {
		method: 'POST',
		path: sessionPath(sessionId, '/handback'),
		body,
		itemIndex,
	});
	return [
		{
			json: {
				...(response.body as unknown as IDataObject),
				human_owns: response.body.owner !== 'ai',
			},
			pairedItem: { item: itemIndex },
		},
	];
}
