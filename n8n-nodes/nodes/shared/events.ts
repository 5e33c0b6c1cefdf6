import type { IDataObject, INodePropertyOptions } from 'n8n-workflow';
import type { CallbackEvent, CallbackMessage, CloudParameter, CloudTemplate } from './api';

/** A callback as Baton sends it (the generated schema; `customer.message` carries `widget`). */
export type BatonEvent = CallbackEvent;

/** The callback event types Baton delivers (DESIGN.md, "Callbacks"). */
export const EVENT_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Approval Decided',
		value: 'approval.decided',
		description: 'A reviewer approved, edited or rejected a proposal',
	},
	{
		name: 'Customer Message',
		value: 'customer.message',
		description:
			"A web visitor wrote in Baton's chat widget while the AI owns the conversation: answer with Send AI Answer",
	},
	{
		name: 'Queue Updated',
		value: 'queue.updated',
		description:
			"The customer's place in the queue changed; 'text' says e.g. You are number 3 in the queue, about 4 minutes. Only for takeovers requested with Queue Updates.",
	},
	{
		name: 'Reply',
		value: 'reply',
		description: 'A reviewer wrote to the customer: send it through the channel',
	},
	{
		name: 'Session Closed',
		value: 'session.closed',
		description: 'The conversation was closed',
	},
	{
		name: 'Session Handed Back',
		value: 'session.handed_back',
		description:
			"The reviewer handed the conversation back to the AI, with a summary; 'memory_messages' are what the person and the customer said, ready for the Chat Memory Manager",
	},
	{
		name: 'Takeover Claimed',
		value: 'takeover.claimed',
		description: 'A reviewer took the conversation ("Alice joined the conversation")',
	},
	{
		name: 'Takeover Escalated',
		value: 'takeover.escalated',
		description:
			"Nobody claimed in time; the takeover moved to the next team or reviewer, named in 'assignee'",
	},
	{
		name: 'Takeover Off Hours',
		value: 'takeover.off_hours',
		description:
			"The team is closed; 'text' is the team's off-hours message with the opening time (opens_at)",
	},
	{
		name: 'Takeover Released',
		value: 'takeover.released',
		description:
			"The reviewer put the conversation back in the queue (or went silent); 'text' tells the customer the next available person will answer",
	},
	{
		name: 'Takeover Transferred',
		value: 'takeover.transferred',
		description:
			"The reviewer passed the conversation to another team or person; 'text' tells the customer where they are going",
	},
	{
		name: 'Takeover Timed Out',
		value: 'takeover.timed_out',
		description: 'Nobody answered; the fallback message is in "text"',
	},
	{
		name: 'Typing',
		value: 'typing',
		description: 'The reviewer is typing (throttled by Baton)',
	},
];

/**
 * What a parameter says as text: its `text`, or a media header's link.
 */
function parameterText(parameter: CloudParameter): string {
	switch (parameter.type) {
		case 'text':
			return parameter.text ?? '';
		case 'image':
			return parameter.image?.link ?? '';
		case 'video':
			return parameter.video?.link ?? '';
		case 'document':
			return parameter.document?.link ?? '';
		default:
			return '';
	}
}

/** The texts of one component type's parameters, in order (null when the template has none). */
function componentTexts(template: CloudTemplate, type: string): string[] | null {
	const component = (template.components ?? []).find((c) => c.type === type);
	if (!component) return null;
	return (component.parameters ?? []).map(parameterText);
}

/**
 * The template fields of an item, flat, so a WhatsApp node's Send Template can be filled with
 * expressions: `is_template` on every item, the rest null unless a `reply` carries a template.
 */
function templateFields(message: CallbackMessage | null): IDataObject {
	const template = message?.template ?? null;
	if (!template || typeof template.name !== 'string') {
		return {
			is_template: false,
			template_name: null,
			template_language: null,
			template_category: null,
			template_header_parameters: null,
			template_body_parameters: null,
			template_components: null,
		};
	}
	return {
		is_template: true,
		template_name: template.name,
		template_language: template.language?.code ?? null,
		template_category: message?.template_category ?? null,
		template_header_parameters: componentTexts(template, 'header'),
		template_body_parameters: componentTexts(template, 'body') ?? [],
		template_components: (template.components ?? []) as unknown as IDataObject[],
	};
}

export interface EventItemOptions {
	/** Use "[Alice] Hi" rather than "Hi" as the `text` of a reply. */
	prefixReviewerName: boolean;
}

/**
 * One flat, predictable item per callback: `text` is always what a workflow would send to the
 * customer (the reply, or the ready sentence Baton wrote for claimed/handed back/timed out, the
 * queue position or the off-hours message), and `channel_ref` is the address to send it to.
 * A `customer.message` has nothing to send (its `text` is null): the visitor's words are in
 * `content`, and `widget_id`/`widget_name` say which widget they wrote in.
 * A reply that is a WhatsApp template (sent after the 24-hour window closed) also fills the
 * `template_*` fields and sets `is_template`; its `text` is the rendered template, for channels
 * that cannot send templates and for logs.
 * Every field is present on every item (null when it does not apply to the event type).
 */
export function eventToItem(event: BatonEvent, options: EventItemOptions): IDataObject {
	const message = event.message ?? null;
	let text: string | null = event.text ?? null;
	if (event.type === 'reply' && message) {
		text = options.prefixReviewerName ? message.prefixed_content : message.content;
	}
	return {
		event: event.type,
		event_id: event.id,
		occurred_at: event.occurred_at,
		session_id: event.session_id,
		channel: event.channel ?? null,
		channel_ref: event.channel_ref ?? event.session_id,
		takeover_id: event.takeover_id ?? null,
		text,
		reviewer_name: event.reviewer?.name ?? null,
		reviewer_display_name: event.reviewer?.display_name ?? null,
		message_id: message?.id ?? null,
		seq: message?.seq ?? null,
		content: message?.content ?? null,
		prefixed_content: message?.prefixed_content ?? null,
		summary: event.summary ?? null,
		memory_messages: (event.memory_messages ?? null) as IDataObject[] | null,
		decision: event.decision ?? null,
		edited: (event.edited as IDataObject | undefined) ?? null,
		comment: event.comment ?? null,
		position: event.position ?? null,
		expected_wait_seconds: event.expected_wait_seconds ?? null,
		opens_at: event.opens_at ?? null,
		assignee: event.assignee ?? null,
		widget_id: (event.widget?.id as string | undefined) ?? null,
		widget_name: (event.widget?.name as string | undefined) ?? null,
		...(event.type === 'reply' ? templateFields(message) : templateFields(null)),
	};
}
