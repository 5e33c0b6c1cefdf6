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
import { resolveReplyWebhook } from '../../../shared/replyWebhook';
import { replyToFields } from '../takeoverFields';
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
			{
				name: 'Staff (Outside Baton)',
				value: 'staff',
				description:
					"A person answered from outside Baton (the WhatsApp Business app, a shared phone): the AI's turns are refused until the team's quiet time passes",
			},
		],
		displayOptions: { show },
	},
	{
		displayName: 'Staff Name',
		name: 'staffName',
		type: 'string',
		default: '',
		placeholder: 'e.g. Maria',
		description:
			'Who answered, as the inbox shows it ("answered outside Baton by Maria"). Empty: staff.',
		displayOptions: { show: { ...show, sender: ['staff'] } },
	},
	...replyToFields({ ...show, sender: ['staff'] }).map((field) => ({
		...field,
		description:
			field.name === 'replyTo'
				? "Where a reviewer's replies go if one claims the conversation: used when Baton opens a takeover for the staff turn (the session has none open)"
				: field.description,
	})),
	{
		displayName: 'Assignee',
		name: 'assignee',
		type: 'string',
		default: '',
		placeholder: 'e.g. support',
		description:
			"The team (or reviewer) whose inbox shows the conversation and whose quiet time applies, when Baton opens a takeover for it. Empty: the session's last takeover's.",
		displayOptions: { show: { ...show, sender: ['staff'] } },
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
	const sender = this.getNodeParameter('sender', itemIndex) as string;
	const staff: Partial<StaffFields> = sender === 'staff' ? staffFields.call(this, itemIndex) : {};
	return compact({
		sender: staff.sender ?? sender,
		content: String(this.getNodeParameter('content', itemIndex) ?? ''),
		id: fields.messageId !== undefined ? String(fields.messageId) : undefined,
		at: fields.at ? new Date(fields.at as string).toISOString() : undefined,
		channel: fields.channel as string | undefined,
		channel_ref: fields.channelRef !== undefined ? String(fields.channelRef) : undefined,
		user_id: fields.userId !== undefined ? String(fields.userId) : undefined,
		tool_calls: parseJsonParameter.call(this, fields.toolCalls, 'Tool Calls', itemIndex),
		meta: parseJsonParameter.call(this, fields.meta, 'Meta', itemIndex),
		reply_webhook: staff.replyWebhook,
		assignee: staff.assignee,
	} as IDataObject) as unknown as RecordMessageRequest;
}

interface StaffFields {
	sender: string;
	replyWebhook: string;
	assignee?: string;
}

/** A staff turn's sender (`staff:<name>` with a name) and where an implicit takeover answers. */
function staffFields(this: IExecuteFunctions, itemIndex: number): StaffFields {
	const name = String(this.getNodeParameter('staffName', itemIndex, '') ?? '').trim();
	const assignee = String(this.getNodeParameter('assignee', itemIndex, '') ?? '').trim();
	return {
		sender: name ? `staff:${name}` : 'staff',
		replyWebhook: resolveReplyWebhook.call(this, itemIndex),
		assignee: assignee || undefined,
	};
}

/**
 * The turn gate. Output `owner` is `ai`, `human` or `staff` (a person outside Baton answered), and
 * `human_owns` (true unless the AI answers) a boolean for an IF node.
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
					human_owns: state.owner !== 'ai',
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
					human_owns: current.body.owner !== 'ai',
					refused: (error as Error).message,
				},
				pairedItem: { item: itemIndex },
			},
		];
	}
}
