// Standard Webhooks signing for the e2e (forged and genuine test callbacks).
import { createHmac } from 'node:crypto';

export function sign(secret, id, timestamp, body) {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
