import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * The production URL of a Baton Trigger whose path is `path`, in the n8n this code runs in.
 *
 * n8n offers no API for another node's webhook URL, but `$execution.resumeUrl` is built from the
 * same public webhook base (`WEBHOOK_URL`) as `<base>/webhook-waiting/<execution id>`; production
 * webhooks live at `<base>/webhook/<path>`.
 */
export function triggerUrlFromResumeUrl(resumeUrl: string, path: string): string | undefined {
	const marker = resumeUrl.lastIndexOf('/webhook-waiting/');
	if (marker < 0) return undefined;
	const base = resumeUrl.slice(0, marker);
	return `${base}/webhook/${path.trim().replace(/^\/+/, '')}`;
}

export function resolveReplyWebhook(this: IExecuteFunctions, itemIndex: number): string {
	const replyTo = this.getNodeParameter('replyTo', itemIndex, 'trigger') as string;
	if (replyTo === 'url') {
		const url = (this.getNodeParameter('replyWebhookUrl', itemIndex, '') as string).trim();
		if (!/^https?:\/\//i.test(url)) {
			throw new NodeOperationError(
				this.getNode(),
				`Reply Webhook URL must be an http(s) URL, got "${url}"`,
				{
					itemIndex,
				},
			);
		}
		return url;
	}
	const path = this.getNodeParameter('triggerPath', itemIndex, 'baton') as string;
	const resumeUrl = String(this.evaluateExpression('{{ $execution.resumeUrl }}', itemIndex) ?? '');
	const url = triggerUrlFromResumeUrl(resumeUrl, path);
	if (!url) {
		throw new NodeOperationError(
			this.getNode(),
			'Could not work out the Baton Trigger URL of this n8n instance',
			{
				itemIndex,
				description:
					'n8n uses a custom webhook endpoint here. Choose "Reply To: URL" and paste the Production URL of your Baton Trigger.',
			},
		);
	}
	return url;
}
