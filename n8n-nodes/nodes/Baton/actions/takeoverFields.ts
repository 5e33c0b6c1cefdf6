import type {
	IDataObject,
	IDisplayOptions,
	IExecuteFunctions,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { CreateTakeoverRequest, HistoryItem } from '../../shared/api';
import { compact, parseJsonParameter, timeoutParameter } from './common';

type Show = NonNullable<IDisplayOptions['show']>;

export const REASON_OPTIONS = [
	{
		name: 'User Requested',
		value: 'user_requested',
		description: 'The customer asked for a person',
	},
	{
		name: 'Low Confidence',
		value: 'low_confidence',
		description: 'The AI is not sure of its answer',
	},
	{
		name: 'Out of Scope',
		value: 'out_of_scope',
		description: 'Legal, refunds, complaints: not for the bot',
	},
	{ name: 'Other', value: 'other' },
];

/** Where Baton sends the reviewer's replies: the Baton Trigger of this workflow, or any URL. */
export function replyToFields(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Reply To',
			name: 'replyTo',
			type: 'options',
			default: 'trigger',
			options: [
				{
					name: 'Baton Trigger',
					value: 'trigger',
					description: 'The production URL of a Baton Trigger in this n8n (by its path)',
				},
				{ name: 'URL', value: 'url', description: 'Any webhook URL' },
			],
			description: "Where Baton posts the reviewer's replies (the takeover's reply_webhook)",
			displayOptions: { show },
		},
		{
			displayName: 'Trigger Path',
			name: 'triggerPath',
			type: 'string',
			default: 'baton',
			description: 'The Path parameter of the Baton Trigger that sends replies to the customer',
			displayOptions: { show: { ...show, replyTo: ['trigger'] } },
		},
		{
			displayName: 'Reply Webhook URL',
			name: 'replyWebhookUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://n8n.example.com/webhook/baton',
			displayOptions: { show: { ...show, replyTo: ['url'] } },
		},
	];
}

export function assignmentFields(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Assignee',
			name: 'assignee',
			type: 'string',
			default: '',
			placeholder: 'e.g. support',
			description: 'A team or reviewer name in Baton. Empty: any reviewer.',
			displayOptions: { show },
		},
		{
			displayName: 'Timeout',
			name: 'timeout',
			type: 'string',
			default: '',
			placeholder: 'e.g. 10m',
			description:
				"How long the takeover may wait for a person before Baton escalates: 90s, 30m, 2h, 1d or seconds. Empty: Baton's default.",
			displayOptions: { show },
		},
		{
			displayName: 'History (JSON)',
			name: 'history',
			type: 'json',
			default: '[]',
			description:
				'Earlier turns Baton has not seen: a JSON array of objects with sender (user, ai or system), content and optionally your message ID. Turns with an ID are imported once.',
			displayOptions: { show },
		},
		{
			displayName: 'Context (JSON)',
			name: 'context',
			type: 'json',
			default: '{}',
			description:
				'What the reviewer should see about why the AI stopped: tool calls, retrieved chunks, classifier output — any JSON',
			displayOptions: { show },
		},
	];
}

/** Shown only for a live takeover: approvals hold up nobody, so they have no queue to report. */
const QUEUE_UPDATES: INodeProperties = {
	displayName: 'Queue Updates',
	name: 'queueUpdates',
	type: 'boolean',
	default: true,
	description:
		"Whether Baton sends queue.updated callbacks to the reply webhook while the customer waits, so the workflow can tell the customer 'You are number 3, about 4 minutes' (when the place changes, at most once a minute)",
	displayOptions: { show: { '/mode': ['takeover'] } },
};

export function optionalTakeoverFields(
	show: Show,
	{ queueUpdates = false }: { queueUpdates?: boolean } = {},
): INodeProperties {
	return {
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
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
				description: 'Address of the customer in the channel (defaults to the session ID)',
			},
			{
				displayName: 'Handback Signal URL',
				name: 'handbackSignal',
				type: 'string',
				default: '',
				description: 'Where the handback event goes instead of the reply webhook',
			},
			{
				displayName: 'Idempotency Key',
				name: 'idempotencyKey',
				type: 'string',
				default: '',
				description: 'Retries with the same key return the same takeover',
			},
			{
				displayName: 'Priority',
				name: 'priority',
				type: 'number',
				default: 0,
				typeOptions: { minValue: 0, maxValue: 10 },
				description: 'Higher comes first in the queue (0–10)',
			},
			...(queueUpdates ? [QUEUE_UPDATES] : []),
			{
				displayName: 'Summary',
				name: 'summary',
				type: 'string',
				default: '',
				typeOptions: { rows: 2 },
				description: 'A line for the reviewer: what the customer wants',
			},
			{
				displayName: 'User ID',
				name: 'userId',
				type: 'string',
				default: '',
			},
		],
	};
}

function historyItems(this: IExecuteFunctions, itemIndex: number): HistoryItem[] | undefined {
	const parsed = parseJsonParameter.call(
		this,
		this.getNodeParameter('history', itemIndex, '[]'),
		'History',
		itemIndex,
	);
	if (parsed === undefined) return undefined;
	if (!Array.isArray(parsed)) {
		throw new NodeOperationError(this.getNode(), 'History must be a JSON array of turns', {
			itemIndex,
		});
	}
	return parsed.map((turn, position) => {
		const entry = turn as IDataObject;
		if (typeof entry?.sender !== 'string' || typeof entry?.content !== 'string') {
			throw new NodeOperationError(
				this.getNode(),
				`History item ${position} needs a "sender" and a "content" string`,
				{ itemIndex },
			);
		}
		return entry as unknown as HistoryItem;
	});
}

/** A boolean option, also when an expression produced the text "true" or "false"; else unset. */
function flag(value: unknown): boolean | undefined {
	if (value === true || value === 'true') return true;
	if (value === false || value === 'false') return false;
	return undefined;
}

/** The body of POST /v1/takeovers from the node's parameters (headers are returned apart). */
export function buildTakeoverBody(
	this: IExecuteFunctions,
	itemIndex: number,
	base: { mode: 'takeover' | 'approval'; sessionId: string; replyWebhook: string },
): { body: CreateTakeoverRequest; headers: Record<string, string> } {
	const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const history = historyItems.call(this, itemIndex);
	const context = parseJsonParameter.call(
		this,
		this.getNodeParameter('context', itemIndex, '{}'),
		'Context',
		itemIndex,
	);
	const body = compact({
		mode: base.mode,
		session_id: base.sessionId,
		reply_webhook: base.replyWebhook,
		reason: this.getNodeParameter('reason', itemIndex, undefined) as string | undefined,
		assignee: ((this.getNodeParameter('assignee', itemIndex, '') as string) || '').trim(),
		timeout: timeoutParameter(this.getNodeParameter('timeout', itemIndex, '') as string),
		history: history && history.length > 0 ? (history as unknown as IDataObject[]) : undefined,
		context:
			context && typeof context === 'object' && Object.keys(context as object).length === 0
				? undefined
				: (context as IDataObject),
		channel: fields.channel as string | undefined,
		channel_ref: fields.channelRef !== undefined ? String(fields.channelRef) : undefined,
		user_id: fields.userId !== undefined ? String(fields.userId) : undefined,
		handback_signal: fields.handbackSignal as string | undefined,
		summary: fields.summary as string | undefined,
		priority: fields.priority as number | undefined,
		queue_updates: base.mode === 'takeover' ? flag(fields.queueUpdates) : undefined,
	} as IDataObject) as unknown as CreateTakeoverRequest;
	const headers: Record<string, string> = {};
	if (typeof fields.idempotencyKey === 'string' && fields.idempotencyKey.trim() !== '') {
		headers['Idempotency-Key'] = fields.idempotencyKey.trim();
	}
	return { body, headers };
}
