import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { CreateTakeoverRequest, Takeover, TakeoverReason } from '../shared/api';
import { resolveReplyWebhook } from '../shared/replyWebhook';
import { batonApiRequest } from '../shared/transport';
import {
	compact,
	getSessionId,
	parseJsonParameter,
	queueFields,
	timeoutParameter,
} from '../Baton/actions/common';

const REASONS: TakeoverReason[] = ['user_requested', 'low_confidence', 'out_of_scope', 'other'];

export const DEFAULT_CUSTOMER_MESSAGE =
	'Connecting you with a person. Stay here: they will answer in this chat.';

/**
 * The reason as Baton accepts it. A model fills this in: "User Requested", "user-requested" and
 * anything else it may write are read leniently, and what is not a reason at all is `other`
 * (a takeover refused over a word would leave the customer with nobody).
 */
export function normalizeReason(value: unknown): TakeoverReason {
	const word = String(value ?? '')
		.trim()
		.toLowerCase()
		.replace(/[\s-]+/g, '_');
	return (REASONS as string[]).includes(word) ? (word as TakeoverReason) : 'other';
}

/** What the agent should say: the configured message, then where the customer stands. */
export function customerText(message: string, takeover: Takeover): string {
	const parts = [message.trim() || DEFAULT_CUSTOMER_MESSAGE];
	const queue = takeover.queue;
	if (queue && !queue.open && queue.opens_at) {
		parts.push(`The team is closed right now; a person will answer from ${queue.opens_at}.`);
	} else if (queue && queue.position > 0) {
		const minutes =
			typeof queue.expected_wait_seconds === 'number'
				? Math.max(1, Math.ceil(queue.expected_wait_seconds / 60))
				: undefined;
		parts.push(
			minutes !== undefined
				? `You are number ${queue.position} in the queue, about ${minutes} minute${minutes === 1 ? '' : 's'}.`
				: `You are number ${queue.position} in the queue.`,
		);
	}
	return parts.join(' ');
}

/**
 * The tool's answer, read by the AI Agent. Kept small and plain: the model needs to know whether a
 * person has the conversation now and what to tell the customer, not Baton's whole takeover.
 */
export function handoffAnswer(takeover: Takeover, created: boolean, message: string): IDataObject {
	// A takeover resolved at once went straight back to the AI (the team is closed and set to
	// hand back off-hours): Baton has sent the customer the team's message itself.
	const handedOff = takeover.status !== 'resolved';
	return {
		handed_off: handedOff,
		owner: handedOff ? 'human' : 'ai',
		takeover_id: takeover.id,
		session_id: takeover.session_id,
		created,
		status: takeover.status,
		...queueFields(takeover.queue),
		tell_customer: handedOff ? customerText(message, takeover) : null,
		instructions: handedOff
			? 'A person now owns this conversation and answers the customer in this chat. Reply to the customer with tell_customer (in their language) and nothing else; do not try to solve their request yourself.'
			: 'No person can take the conversation now; Baton has told the customer when the team opens. Keep helping the customer yourself.',
	};
}

/** Records the takeover for one item: Baton's POST /v1/takeovers, mode `takeover`. */
export async function handOff(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const replyWebhook = resolveReplyWebhook.call(this, itemIndex);
	const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const context = parseJsonParameter.call(
		this,
		this.getNodeParameter('context', itemIndex, '{}'),
		'Context',
		itemIndex,
	);
	const summary = String(this.getNodeParameter('summary', itemIndex, '') ?? '').trim();
	const body = compact({
		mode: 'takeover',
		session_id: sessionId,
		reply_webhook: replyWebhook,
		reason: normalizeReason(this.getNodeParameter('reason', itemIndex, 'user_requested')),
		summary,
		assignee: String(this.getNodeParameter('assignee', itemIndex, '') ?? '').trim(),
		timeout: timeoutParameter(this.getNodeParameter('timeout', itemIndex, '') as string),
		context:
			context && typeof context === 'object' && Object.keys(context as object).length > 0
				? (context as IDataObject)
				: undefined,
		channel: fields.channel as string | undefined,
		channel_ref: fields.channelRef !== undefined ? String(fields.channelRef) : undefined,
		user_id: fields.userId !== undefined ? String(fields.userId) : undefined,
		handback_signal: fields.handbackSignal as string | undefined,
		priority: fields.priority as number | undefined,
		queue_updates: fields.queueUpdates === undefined ? undefined : fields.queueUpdates === true,
	} as IDataObject) as unknown as CreateTakeoverRequest;
	const response = await batonApiRequest<Takeover>(this, {
		method: 'POST',
		path: '/v1/takeovers',
		body,
		itemIndex,
	});
	const message = String(this.getNodeParameter('customerMessage', itemIndex, '') ?? '');
	return [
		{
			json: handoffAnswer(response.body, response.status === 201, message),
			pairedItem: { item: itemIndex },
		},
	];
}
