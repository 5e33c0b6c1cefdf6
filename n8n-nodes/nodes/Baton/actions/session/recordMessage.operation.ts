import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type {
	RecordMessageRequest,
	RecordMessageResponse,
	SessionState,
} from '../../../shared/api';
import { asNodeError, batonApiRequest, problemType, sessionPath } from '../../../shared/transport';
import { compact, getSessionId, parseJsonParameter, sessionIdField } from '../common';

const show = { resource: ['session'], operation: ['recordMessage'] };

export const description: INodeProperties[] = [
	sessionIdField('session', ['recordMessage']),
	{
		displayName: 'Sender',
		name: 'sender',
		type: 'options',
		default: 'user',
		options: [
			{
				name: 'User',
				value: 'user',
				description: 'The customer wrote this (call on every inbound message)',
			},
			{ name: 'AI', value: 'ai', description: 'The bot is about to send this answer' },
			{ name: 'System', value: 'system', description: 'A note for the transcript' },
		],
		displayOptions: { show },
	},
	{
		displayName: 'Content',
		name: 'content',
		type: 'string',
		required: true,
		default: '',
		typeOptions: { rows: 2 },
		placeholder: 'e.g. {{ $json.message.text }}',
		description: 'The text of the turn',
		displayOptions: { show },
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'At',
				name: 'at',
				type: 'dateTime',
				default: '',
				description: 'When the turn happened (defaults to now)',
			},
			{
				displayName: 'Channel',
				name: 'channel',
				type: 'string',
				default: '',
				placeholder: 'e.g. telegram',
			},
			{
				displayName: 'Channel Reference',
				name: 'channelRef',
				type: 'string',
				default: '',
				description:
					'The address the channel needs to reach the customer (Telegram chat ID, WhatsApp number). Defaults to the session ID.',
			},
			{
				displayName: 'Message ID',
				name: 'messageId',
				type: 'string',
				default: '',
				placeholder: 'e.g. {{ $json.message.message_id }}',
				description:
					'Your ID of this message. A retried webhook with the same ID is recorded only once.',
			},
			{
				displayName: 'Meta (JSON)',
				name: 'meta',
				type: 'json',
				default: '',
				description: 'Any JSON to keep with the turn',
			},
			{
				displayName: 'Tool Calls (JSON)',
				name: 'toolCalls',
				type: 'json',
				default: '',
				description: "The AI's tool calls for this turn, shown to the reviewer",
			},
			{
				displayName: 'User ID',
				name: 'userId',
				type: 'string',
				default: '',
			},
		],
	},
];

export function buildRecordMessageBody(
	this: IExecuteFunctions,
	itemIndex: number,
): RecordMessageRequest {
	const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	return compact({
		sender: this.getNodeParameter('sender', itemIndex) as RecordMessageRequest['sender'],
		content: String(this.getNodeParameter('content', itemIndex) ?? ''),
		id: fields.messageId !== undefined ? String(fields.messageId) : undefined,
		at: fields.at ? new Date(fields.at as string).toISOString() : undefined,
		channel: fields.channel as string | undefined,
		channel_ref: fields.channelRef !== undefined ? String(fields.channelRef) : undefined,
		user_id: fields.userId !== undefined ? String(fields.userId) : undefined,
		tool_calls: parseJsonParameter.call(this, fields.toolCalls, 'Tool Calls', itemIndex),
		meta: parseJsonParameter.call(this, fields.meta, 'Meta', itemIndex),
	} as IDataObject) as unknown as RecordMessageRequest;
}

/**
 * The turn gate. Output `owner` is `ai` or `human` (and `human_owns` a boolean) for an IF node.
 * An AI turn refused because a person owns the conversation is not an error for the workflow:
 * it comes out with `accepted: false` and the current state, so the bot simply stays quiet.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const body = buildRecordMessageBody.call(this, itemIndex);
	try {
		const response = await batonApiRequest<RecordMessageResponse>(this, {
			method: 'POST',
			path: sessionPath(sessionId, '/messages'),
			body,
			itemIndex,
		});
		const state = response.body;
		return [
			{
				json: {
					...(state as unknown as IDataObject),
					accepted: true,
					human_owns: state.owner === 'human',
				},
				pairedItem: { item: itemIndex },
			},
		];
	} catch (error) {
		if (problemType(error) !== '/problems/ai-turn-refused')
			throw asNodeError(this.getNode(), error, itemIndex);
		const current = await batonApiRequest<SessionState>(this, {
			method: 'GET',
			path: sessionPath(sessionId),
			itemIndex,
		});
		return [
			{
				json: {
					...(current.body as unknown as IDataObject),
					accepted: false,
					human_owns: current.body.owner === 'human',
					refused: (error as Error).message,
				},
				pairedItem: { item: itemIndex },
			},
		];
	}
}
