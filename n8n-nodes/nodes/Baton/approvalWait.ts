import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { WAIT_INDEFINITELY } from 'n8n-workflow';
import type { CallbackEvent } from '../shared/api';
import { parseEvent, rawBodyOf } from '../shared/rawBody';
import { signatureHeaders, verifySignature } from '../shared/signature';
import { durationSeconds } from './actions/common';
import { createApproval, WAIT_GRACE_SECONDS } from './actions/approval/request.operation';

/**
 * Creates the approval with n8n's resume URL as its reply webhook and pauses the execution; Baton's
 * `approval.decided` callback resumes it through `approvalWebhook` below.
 */
/**
 * n8n's resume endpoint for this node (`<resume URL>/<node id>`). It is not registered with any
 * remote service, so there is no create/delete lifecycle: Baton receives the URL per approval.
 */
export const approvalResumeWebhooks: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: '',
		path: '={{ $nodeId }}',
		restartWebhook: true,
		isFullPath: true,
	},
];

export async function requestApprovalAndWait(
	this: IExecuteFunctions,
): Promise<INodeExecutionData[][]> {
	const resumeUrl = this.getSignedResumeUrl();
	await createApproval.call(this, 0, resumeUrl);
	const timeout = durationSeconds(this.getNodeParameter('timeout', 0, '') as string);
	const waitTill =
		timeout === undefined
			? WAIT_INDEFINITELY
			: new Date(Date.now() + (timeout + WAIT_GRACE_SECONDS) * 1000);
	await this.putExecutionToWait(waitTill);
	// If n8n's wait limit ends the pause before Baton decides, n8n passes the input items on
	// unchanged (they carry no `decided` field); a decision replaces them with `decisionItem`.
	return [this.getInputData()];
}

export function decisionItem(event: CallbackEvent): IDataObject {
	return {
		event: event.type,
		event_id: event.id,
		takeover_id: event.takeover_id ?? null,
		session_id: event.session_id,
		decided: true,
		decision: event.decision ?? null,
		approved: event.decision === 'approve' || event.decision === 'edit',
		edited: (event.edited as IDataObject | undefined) ?? null,
		comment: event.comment ?? null,
		reviewer_name: event.reviewer?.name ?? null,
		reviewer_display_name: event.reviewer?.display_name ?? null,
		occurred_at: event.occurred_at,
	};
}

/**
 * The resume call. Only a correctly signed `approval.decided` resumes the execution; anything else
 * is answered (401 for a bad signature, 200 for other events) and the execution keeps waiting.
 */
export async function approvalWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const response = this.getResponseObject();
	const credentials = await this.getCredentials('batonApi');
	const raw = rawBodyOf(this);
	const verdict = verifySignature(
		[String(credentials.signingSecret ?? '')],
		signatureHeaders(this.getHeaderData() as Record<string, unknown>),
		raw,
	);
	if (!verdict.valid) {
		response.status(401).json({ error: `invalid signature: ${verdict.reason}` });
		return { noWebhookResponse: true };
	}
	const event = parseEvent(raw) as CallbackEvent | undefined;
	if (!event || event.type !== 'approval.decided') {
		response.status(200).json({ received: true, ignored: event?.type ?? 'unparsable body' });
		return { noWebhookResponse: true };
	}
	return {
		webhookResponse: { received: true },
		workflowData: [[{ json: decisionItem(event) }]],
	};
}
