import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type { Decision, Takeover } from '../../../shared/api';
import { resolveReplyWebhook } from '../../../shared/replyWebhook';
import { batonApiRequest } from '../../../shared/transport';
import { getSessionId, parseJsonParameter, queueFields, sessionIdField } from '../common';
import {
	assignmentFields,
	buildTakeoverBody,
	optionalTakeoverFields,
	REASON_OPTIONS,
	replyToFields,
} from '../takeoverFields';

const show = { resource: ['takeover'], operation: ['request'] };

export const description: INodeProperties[] = [
	sessionIdField('takeover', ['request']),
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		default: 'takeover',
		options: [
			{
				name: 'Takeover',
				value: 'takeover',
				description: 'A person talks to the customer, then hands back',
			},
			{
				name: 'Approval',
				value: 'approval',
				description: 'A person approves, edits or rejects a proposal',
			},
		],
		displayOptions: { show },
	},
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'options',
		default: 'user_requested',
		options: REASON_OPTIONS,
		description: 'Why the bot is handing off (shown in the inbox, counted in statistics)',
		displayOptions: { show },
	},
	...replyToFields(show),
	...assignmentFields(show),
	{
		displayName: 'Proposal (JSON)',
		name: 'proposal',
		type: 'json',
		default: '{}',
		description: 'What the reviewer decides on: an email draft, a refund, a CRM update',
		displayOptions: { show: { ...show, mode: ['approval'] } },
	},
	{
		displayName: 'Decisions',
		name: 'decisions',
		type: 'multiOptions',
		default: ['approve', 'reject'],
		options: [
			{ name: 'Approve', value: 'approve' },
			{ name: 'Edit', value: 'edit' },
			{ name: 'Reject', value: 'reject' },
		],
		displayOptions: { show: { ...show, mode: ['approval'] } },
	},
	optionalTakeoverFields(show, { queueUpdates: true }),
];

/**
 * Asks for a person. A second request while the session already has an open takeover returns that
 * takeover (`created: false`), so calling this on every "I want a human" is safe. While the
 * customer waits, `queue_position`, `expected_wait_seconds`, `team_open` and `opens_at` say where
 * they stand; when the team is closed, Baton has also sent `takeover.off_hours` with the team's
 * message to the reply webhook.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const mode = this.getNodeParameter('mode', itemIndex, 'takeover') as 'takeover' | 'approval';
	const replyWebhook = resolveReplyWebhook.call(this, itemIndex);
	const { body, headers } = buildTakeoverBody.call(this, itemIndex, {
		mode,
		sessionId,
		replyWebhook,
	});
	if (mode === 'approval') {
		body.proposal = parseJsonParameter.call(
			this,
			this.getNodeParameter('proposal', itemIndex, '{}'),
			'Proposal',
			itemIndex,
		);
		body.decisions = this.getNodeParameter('decisions', itemIndex, []) as Decision[];
	}
	const response = await batonApiRequest<Takeover>(this, {
		method: 'POST',
		path: '/v1/takeovers',
		body,
		headers,
		itemIndex,
	});
	return [
		{
			json: {
				...(response.body as IDataObject),
				created: response.status === 201,
				...queueFields(response.body.queue),
			},
			pairedItem: { item: itemIndex },
		},
	];
}
