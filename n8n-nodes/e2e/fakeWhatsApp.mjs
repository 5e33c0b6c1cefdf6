// A local stand-in for the WhatsApp Cloud API (Meta's Graph API) that n8n's own WhatsApp nodes
// reach unchanged. They call https://graph.facebook.com with no base URL to set, so the fake is
// an HTTPS proxy on loopback: n8n honours HTTPS_PROXY (n8n-core's request helpers, through
// proxy-from-env), the fake answers the CONNECT for graph.facebook.com:443 itself and ends TLS
// with a certificate for that name, signed by a CA made here that n8n trusts through
// NODE_EXTRA_CA_CERTS. A CONNECT to any other host is refused and remembered.
//
// It answers what the WhatsApp Trigger calls on activation (the app token, the app's webhook
// subscriptions; like Meta it then verifies the callback with hub.challenge), records every
// message sent through /{phone-number-id}/messages in order, and can post a customer's message to
// the subscribed callback signed with the app secret (x-hub-signature-256), as Meta does. Like
// WhatsApp, it accepts free text after the customer's 24-hour window has closed but does not
// deliver it; `delivered` says which, and each message's outcome follows as a status webhook
// (`delivered`, or `failed` with error 131047), which a workflow must not take for a message.
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';

export const GRAPH_HOST = 'graph.facebook.com';
const WINDOW_MS = 24 * 60 * 60 * 1000;

/** A CA and a certificate for graph.facebook.com signed by it, made with the openssl command. */
function makeCertificates(dir) {
	mkdirSync(dir, { recursive: true });
	const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	openssl(
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-days',
		'2',
		'-subj',
		'/CN=Baton e2e test CA',
		'-keyout',
		'ca.key',
		'-out',
		'ca.pem',
		'-addext',
		'basicConstraints=critical,CA:TRUE',
		'-addext',
		'keyUsage=critical,keyCertSign',
	);
	openssl(
		'req',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-subj',
		`/CN=${GRAPH_HOST}`,
		'-keyout',
		'graph.key',
		'-out',
		'graph.csr',
	);
	writeFileSync(
		join(dir, 'graph.ext'),
		`subjectAltName=DNS:${GRAPH_HOST}\nextendedKeyUsage=serverAuth\n`,
	);
	openssl(
		'x509',
		'-req',
		'-in',
		'graph.csr',
		'-CA',
		'ca.pem',
		'-CAkey',
		'ca.key',
		'-CAcreateserial',
		'-days',
		'2',
		'-extfile',
		'graph.ext',
		'-out',
		'graph.pem',
	);
	return {
		caFile: join(dir, 'ca.pem'),
		key: readFileSync(join(dir, 'graph.key')),
		cert: readFileSync(join(dir, 'graph.pem')),
	};
}

function readBody(req) {
	return new Promise((resolve) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
	});
}

function parseBody(raw, type = '') {
	if (!raw) return {};
	if (type.includes('application/x-www-form-urlencoded'))
		return Object.fromEntries(new URLSearchParams(raw));
	try {
		return JSON.parse(raw);
	} catch {
		return Object.fromEntries(new URLSearchParams(raw));
	}
}

/**
 * @param {object} o
 * @param {string} o.dir            where the certificates go
 * @param {string} o.appId          the Meta app (the WhatsApp OAuth API credential's Client ID)
 * @param {string} o.appSecret      its secret (Client Secret): signs the webhooks
 * @param {string} o.accessToken    the WhatsApp API credential's token
 * @param {string} o.phoneNumberId  the business number's id
 * @param {string} o.displayPhoneNumber
 */
export async function startFakeWhatsApp({
	dir,
	appId,
	appSecret,
	accessToken,
	phoneNumberId,
	displayPhoneNumber,
}) {
	const { caFile, key, cert } = makeCertificates(dir);
	const appToken = `app-token-${randomUUID()}`;
	const sent = [];
	const calls = [];
	const refusedConnects = [];
	const statuses = [];
	const lastCustomerMessage = new Map();
	let subscription = null;
	let verification = null;
	let nextId = 1;

	const graph = createHttpsServer({ key, cert }, async (req, res) => {
		const raw = await readBody(req);
		const url = new URL(req.url, `https://${GRAPH_HOST}`);
		const body = parseBody(raw, req.headers['content-type']);
		for (const [k, v] of url.searchParams) body[k] ??= v;
		calls.push({ method: req.method, path: url.pathname, body });
		const reply = (status, json) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(json));
		};
		const oauthError = (message, code = 190) =>
			reply(code === 190 ? 401 : 400, { error: { message, type: 'OAuthException', code } });
		const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');

		if (req.method === 'POST' && url.pathname === '/v19.0/oauth/access_token') {
			if (body.client_id !== appId || body.client_secret !== appSecret)
				return oauthError('Error validating client secret.', 1);
			return reply(200, { access_token: appToken, token_type: 'bearer' });
		}
		const subs = new RegExp(`^/v19\\.0/${appId}/subscriptions$`).exec(url.pathname);
		if (subs) {
			if (bearer !== appToken) return oauthError('Invalid OAuth access token.');
			if (req.method === 'GET')
				return reply(200, { data: subscription && subscription.active ? [subscription] : [] });
			if (req.method === 'POST') {
				const fields = JSON.parse(body.fields ?? '[]');
				subscription = {
					object: body.object,
					callback_url: body.callback_url,
					active: true,
					fields: fields.map((name) => ({ name, version: 'v19.0' })),
					verifyToken: body.verify_token,
				};
				// Meta checks the callback answers its challenge. Done just after answering, since n8n
				// is still activating the workflow when it registers.
				setTimeout(
					() => verify().catch((e) => (verification = { ok: false, error: e.message })),
					50,
				);
				return reply(200, { success: true });
			}
			if (req.method === 'DELETE') {
				subscription = null;
				return reply(200, { success: true });
			}
		}
		const messages = /^\/v13\.0\/([^/]+)\/messages$/.exec(url.pathname);
		if (req.method === 'POST' && messages) {
			if (bearer !== accessToken) return oauthError('Invalid OAuth access token.');
			if (messages[1] !== phoneNumberId)
				return reply(400, {
					error: {
						message: `(#100) Unsupported post request. Object with ID '${messages[1]}' does not exist`,
						type: 'GraphMethodException',
						code: 100,
					},
				});
			if (body.messaging_product !== 'whatsapp' || !body.to || !body.type)
				return reply(400, {
					error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100 },
				});
			const wrote = lastCustomerMessage.get(body.to);
			const windowOpen = wrote !== undefined && Date.now() - wrote < WINDOW_MS;
			const id = `wamid.fake${nextId++}`;
			const delivered = body.type === 'template' || windowOpen;
			// Like Meta, the outcome follows as a status webhook (delivered, or failed with 131047).
			setTimeout(() => postStatus(id, body.to, delivered).catch(() => {}), 20);
			sent.push({
				id,
				to: body.to,
				type: body.type,
				text: body.text?.body,
				template: body.template,
				// Templates are delivered at any time; free text only inside the window.
				delivered,
				at: Date.now(),
			});
			return reply(200, {
				messaging_product: 'whatsapp',
				contacts: [{ input: body.to, wa_id: body.to }],
				messages: [{ id }],
			});
		}
		return reply(400, {
			error: {
				message: `(#100) ${req.method} ${url.pathname} is not faked`,
				type: 'GraphMethodException',
				code: 100,
			},
		});
	});

	/** Posts a change to the subscribed callback, signed with the app secret, as Meta does. */
	async function postChange(value) {
		const raw = JSON.stringify({
			object: 'whatsapp_business_account',
			entry: [
				{
					id: 'waba-e2e',
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: {
									display_phone_number: displayPhoneNumber,
									phone_number_id: phoneNumberId,
								},
								...value,
							},
						},
					],
				},
			],
		});
		const signature = createHmac('sha256', appSecret).update(raw).digest('hex');
		const response = await fetch(subscription.callback_url, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-hub-signature-256': `sha256=${signature}`,
			},
			body: raw,
		});
		return response.status;
	}

	async function postStatus(id, to, delivered) {
		if (!subscription) return;
		const status = {
			id,
			recipient_id: to,
			status: delivered ? 'delivered' : 'failed',
			timestamp: String(Math.floor(Date.now() / 1000)),
			...(delivered
				? {}
				: {
						errors: [
							{
								code: 131047,
								title: 'Re-engagement message',
								message: 'Re-engagement message',
								error_data: {
									details:
										'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
								},
							},
						],
					}),
		};
		statuses.push({ ...status, answered: await postChange({ statuses: [status] }) });
	}

	async function verify() {
		const challenge = String(Math.floor(Math.random() * 1e9));
		const target = new URL(subscription.callback_url);
		target.searchParams.set('hub.mode', 'subscribe');
		target.searchParams.set('hub.challenge', challenge);
		target.searchParams.set('hub.verify_token', subscription.verifyToken);
		const response = await fetch(target);
		const text = await response.text();
		verification = { ok: response.status === 200 && text === challenge, status: response.status };
	}

	const proxy = createHttpServer((req, res) => {
		res.writeHead(405);
		res.end('only CONNECT to graph.facebook.com');
	});
	proxy.on('connect', (req, socket) => {
		if (req.url !== `${GRAPH_HOST}:443`) {
			refusedConnects.push(req.url);
			socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
			return;
		}
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		graph.emit('connection', socket);
	});
	await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	const { port } = proxy.address();
	let inbound = 1;

	return {
		proxyUrl: `http://127.0.0.1:${port}`,
		caFile,
		sent,
		calls,
		refusedConnects,
		/** The status webhooks posted to n8n, with n8n's answer. */
		statuses,
		get subscription() {
			return subscription;
		},
		get verification() {
			return verification;
		},
		/** The messages that went to a number, in order. */
		sentTo: (number) => sent.filter((m) => m.to === number),
		/**
		 * A customer writes: Meta posts the message to the subscribed callback, signed with the app
		 * secret. `at` is when they wrote (WhatsApp's timestamp; the window counts from it).
		 */
		async customerSays(from, text, { at = Date.now(), name = 'Chris' } = {}) {
			if (!subscription) throw new Error('n8n has not subscribed the app to WhatsApp webhooks');
			const id = `wamid.in${inbound++}`;
			const previous = lastCustomerMessage.get(from) ?? 0;
			lastCustomerMessage.set(from, Math.max(previous, at));
			return await postChange({
				contacts: [{ profile: { name }, wa_id: from }],
				messages: [
					{
						from,
						id,
						timestamp: String(Math.floor(at / 1000)),
						text: { body: text },
						type: 'text',
					},
				],
			});
		},
		close: () =>
			new Promise((resolve) => {
				proxy.closeAllConnections?.();
				graph.closeAllConnections?.();
				proxy.close(resolve);
			}),
	};
}
