import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type { Decision, Takeover } from '../../../shared/api';
import { resolveReplyWebhook } from '../../../shared/replyWebhook';
import { batonApiRequest } from '../../../shared/transport';
import { getSessionId, parseJsonParameter, sessionIdField } from '../common';
import {
	assignmentFields,
	buildTakeoverBody,
	optionalTakeoverFields,
	REASON_OPTIONS,
	replyToFields,
} from '../takeoverFields';

const show = { resource: ['approval'], operation: ['request'] };

export const description: INodeProperties[] = [
	sessionIdField('approval', ['request']),
	{
		displayName: 'Proposal (JSON)',
		name: 'proposal',
		type: 'json',
		default: '{\n  "text": "Refund 40 EUR for order 1234"\n}',
		description:
			'What the reviewer decides on — an email draft, a refund, a CRM update. Text, JSON, or both.',
		displayOptions: { show },
	},
	{
		displayName: 'Decisions',
		name: 'decisions',
		type: 'multiOptions',
		default: ['approve', 'reject'],
		options: [
			{ name: 'Approve', value: 'approve' },
			{
				name: 'Edit',
				value: 'edit',
				description: 'The reviewer may change the proposal before approving',
			},
			{ name: 'Reject', value: 'reject' },
		],
		description: 'What the reviewer may answer',
		displayOptions: { show },
	},
	{
		displayName: 'Wait for Decision',
		name: 'waitForDecision',
		type: 'boolean',
		default: true,
		description:
			"Whether to pause this execution until the reviewer decides (Baton calls n8n's resume URL). Only the first input item is used when waiting.",
		displayOptions: { show },
	},
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'options',
		default: 'other',
		options: REASON_OPTIONS,
		displayOptions: { show },
	},
	...replyToFields({ ...show, waitForDecision: [false] }),
	...assignmentFields(show),
	optionalTakeoverFields(show),
];

/** Seconds to keep the execution waiting beyond Baton's own timeout, so Baton's decision wins. */
export const WAIT_GRACE_SECONDS = 300;

export async function createApproval(
	this: IExecuteFunctions,
	itemIndex: number,
	replyWebhook: string,
): Promise<{ status: number; body: Takeover }> {
	const sessionId = getSessionId.call(this, itemIndex);
	const { body, headers } = buildTakeoverBody.call(this, itemIndex, {
		mode: 'approval',
		sessionId,
		replyWebhook,
	});
	body.proposal = parseJsonParameter.call(
		this,
		this.getNodeParameter('proposal', itemIndex, '{}'),
		'Proposal',
		itemIndex,
	);
	body.decisions = this.getNodeParameter('decisions', itemIndex, []) as Decision[];
	return await batonApiRequest<Takeover>(this, {
		method: 'POST',
		path: '/v1/takeovers',
		body,
		headers,
		itemIndex,
	});
}

/** Without waiting: creates the approval; the decision arrives at the reply webhook later. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const replyWebhook = resolveReplyWebhook.call(this, itemIndex);
	const response = await createApproval.call(this, itemIndex, replyWebhook);
	return [
		{
			json: { ...(response.body as IDataObject), created: response.status === 201 },
			pairedItem: { item: itemIndex },
		},
	];
}
