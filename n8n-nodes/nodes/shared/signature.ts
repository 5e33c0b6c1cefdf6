import { createHmac, timingSafeEqual } from 'crypto';

/** Callbacks older or newer than this are refused, as Standard Webhooks recommends (replay guard). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export interface SignatureHeaders {
	id: string;
	timestamp: string;
	signature: string;
}

export type VerifyResult = { valid: true; secretIndex: number } | { valid: false; reason: string };

/** The HMAC key of a `whsec_<base64>` secret is the decoded part after the prefix. */
export function secretKey(secret: string): Buffer {
	const trimmed = secret.trim();
	const encoded = trimmed.startsWith('whsec_') ? trimmed.slice('whsec_'.length) : trimmed;
	return Buffer.from(encoded, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the value of the `webhook-signature` header. */
export function sign(secret: string, id: string, timestamp: string, body: Buffer | string): string {
	const mac = createHmac('sha256', secretKey(secret))
		.update(`${id}.${timestamp}.`)
		.update(body)
		.digest('base64');
	return `v1,${mac}`;
}

function header(headers: Record<string, unknown>, name: string): string {
	const raw = headers[name] ?? headers[name.toLowerCase()];
	const value = Array.isArray(raw) ? raw[0] : raw;
	return typeof value === 'string' ? value.trim() : '';
}

export function signatureHeaders(headers: Record<string, unknown>): SignatureHeaders {
	return {
		id: header(headers, 'webhook-id'),
		timestamp: header(headers, 'webhook-timestamp'),
		signature: header(headers, 'webhook-signature'),
	};
}

/**
 * Checks a Standard Webhooks signature against every candidate secret (the subscription's own
 * secret and the API key's signing secret), over the raw body bytes, in constant time per
 * candidate. The header may carry several space-separated signatures (secret rotation).
 */
export function verifySignature(
	secrets: string[],
	headers: SignatureHeaders,
	rawBody: Buffer | string,
	nowSeconds: number = Math.floor(Date.now() / 1000),
): VerifyResult {
	if (!headers.id || !headers.timestamp || !headers.signature) {
		return {
			valid: false,
			reason: 'missing webhook-id, webhook-timestamp or webhook-signature header',
		};
	}
	if (!/^\d{1,12}$/.test(headers.timestamp)) {
		return { valid: false, reason: 'webhook-timestamp is not a unix time in seconds' };
	}
	const timestamp = Number(headers.timestamp);
	if (Math.abs(nowSeconds - timestamp) > TIMESTAMP_TOLERANCE_SECONDS) {
		return { valid: false, reason: 'webhook-timestamp is outside the 5 minute tolerance' };
	}
	const usable = secrets
		.map((s) => (typeof s === 'string' ? s.trim() : ''))
		.filter((s) => s !== '');
	if (usable.length === 0) {
		return { valid: false, reason: 'no signing secret is configured' };
	}
	const presented = headers.signature
		.split(' ')
		.map((part) => part.split(','))
		.filter(([version, value]) => version === 'v1' && typeof value === 'string' && value !== '')
		.map(([, value]) => Buffer.from(value, 'base64'));
	for (let index = 0; index < secrets.length; index++) {
		const secret = typeof secrets[index] === 'string' ? secrets[index].trim() : '';
		if (secret === '') continue;
		const expected = Buffer.from(
			sign(secret, headers.id, headers.timestamp, rawBody).slice(3),
			'base64',
		);
		for (const candidate of presented) {
			if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
				return { valid: true, secretIndex: index };
			}
		}
	}
	return { valid: false, reason: 'signature does not match' };
}
