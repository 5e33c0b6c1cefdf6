import type { IWebhookFunctions } from 'n8n-workflow';

/**
 * The exact bytes Baton signed. n8n keeps them as `rawBody` on the request; re-serialising the
 * parsed JSON is only a fallback and may not match byte for byte.
 */
export function rawBodyOf(context: IWebhookFunctions): Buffer {
	const request = context.getRequestObject() as unknown as { rawBody?: unknown; body?: unknown };
	const raw = request.rawBody;
	if (Buffer.isBuffer(raw)) return raw;
	if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
	if (typeof request.body === 'string') return Buffer.from(request.body, 'utf8');
	return Buffer.from(JSON.stringify(context.getBodyData() ?? {}), 'utf8');
}

export function parseEvent(raw: Buffer): unknown {
	try {
		return JSON.parse(raw.toString('utf8'));
	} catch {
		return undefined;
	}
}
