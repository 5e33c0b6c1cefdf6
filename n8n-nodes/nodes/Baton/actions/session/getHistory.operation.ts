import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type { Message, MessagePage } from '../../../shared/api';
import { batonApiRequest, sessionPath } from '../../../shared/transport';
import { getSessionId, sessionIdField } from '../common';

const show = { resource: ['session'], operation: ['getHistory'] };

/** Baton's largest page. */
const PAGE_LIMIT = 500;

export const description: INodeProperties[] = [
	sessionIdField('session', ['getHistory']),
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: true,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: 1, maxValue: PAGE_LIMIT },
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
	{
		displayName: 'After Sequence Number',
		name: 'after',
		type: 'number',
		default: 0,
		description: 'Only messages after this sequence number (0 = from the start)',
		displayOptions: { show },
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'single',
		options: [
			{
				name: 'One Item with All Messages',
				value: 'single',
				description: 'Outputs `messages` plus a `transcript` text ready to put into an AI prompt',
			},
			{ name: 'One Item per Message', value: 'perMessage' },
		],
		displayOptions: { show },
	},
];

function transcriptLine(message: Message): string {
	return `${message.sender}: ${message.content}`;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const returnAll = this.getNodeParameter('returnAll', itemIndex, true) as boolean;
	const limit = returnAll ? Infinity : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const output = this.getNodeParameter('output', itemIndex, 'single') as string;
	let after = this.getNodeParameter('after', itemIndex, 0) as number;

	const messages: Message[] = [];
	for (;;) {
		const pageSize = Math.min(PAGE_LIMIT, limit - messages.length);
		const qs: IDataObject = { limit: pageSize };
		if (after > 0) qs.after = after;
		const { body } = await batonApiRequest<MessagePage>(this, {
			method: 'GET',
			path: sessionPath(sessionId, '/messages'),
			qs,
			itemIndex,
		});
		messages.push(...body.items);
		if (body.next_after === null || body.next_after === undefined || messages.length >= limit)
			break;
		if (body.items.length === 0) break;
		after = body.next_after;
	}

	if (output === 'perMessage') {
		return messages.map((message) => ({
			json: { session_id: sessionId, ...(message as unknown as IDataObject) },
			pairedItem: { item: itemIndex },
		}));
	}
	return [
		{
			json: {
				session_id: sessionId,
				count: messages.length,
				messages: messages as unknown as IDataObject[],
				transcript: messages.map(transcriptLine).join('\n'),
			},
			pairedItem: { item: itemIndex },
		},
	];
}
