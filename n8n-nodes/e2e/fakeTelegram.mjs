// A local stand-in for Telegram's Bot API: n8n's Telegram credential points its Base URL here.
// It records setWebhook (URL and secret token), answers getWebhookInfo/deleteWebhook, and keeps
// every sendMessage in order — that list is what the "customer" saw. It can also post updates
// (customer messages) to the webhook n8n registered, like Telegram does.
import { createServer } from 'node:http';

export async function startFakeTelegram({ token }) {
	const sent = [];
	const calls = [];
	let webhook = null;
	let nextMessageId = 1000;
	let nextUpdateId = 5000;
	const server = createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			let body = {};
			if (raw) {
				try {
					body = JSON.parse(raw);
				} catch {
					body = Object.fromEntries(new URLSearchParams(raw));
				}
			}
			const url = new URL(req.url, 'http://127.0.0.1');
			for (const [k, v] of url.searchParams) body[k] ??= v;
			const match = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
			const reply = (status, json) => {
				res.writeHead(status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(json));
			};
			if (!match || match[1] !== token)
				return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
			const method = match[2];
			calls.push({ method, body });
			switch (method) {
				case 'getMe':
					return reply(200, {
						ok: true,
						result: {
							id: 42,
							is_bot: true,
							first_name: 'Baton test bot',
							username: 'baton_test_bot',
						},
					});
				case 'setWebhook':
					webhook = { url: body.url, secretToken: body.secret_token };
					return reply(200, { ok: true, result: true, description: 'Webhook was set' });
				case 'getWebhookInfo':
					return reply(200, {
						ok: true,
						result: { url: webhook?.url ?? '', pending_update_count: 0 },
					});
				case 'deleteWebhook':
					webhook = null;
					return reply(200, { ok: true, result: true });
				case 'sendMessage': {
					const message = {
						message_id: nextMessageId++,
						chat: { id: Number(body.chat_id) || body.chat_id, type: 'private' },
						date: Math.floor(Date.now() / 1000),
						text: body.text,
					};
					sent.push({ chatId: String(body.chat_id), text: body.text, at: Date.now() });
					return reply(200, { ok: true, result: message });
				}
				default:
					return reply(400, {
						ok: false,
						error_code: 400,
						description: `method ${method} is not faked`,
					});
			}
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address();
	let messageId = 1;
	return {
		url: `http://127.0.0.1:${port}`,
		sent,
		calls,
		get webhook() {
			return webhook;
		},
		/** A customer writes to the bot: Telegram posts an update to n8n's webhook. */
		async customerSays(chatId, text) {
			if (!webhook) throw new Error('n8n has not registered a Telegram webhook');
			const update = {
				update_id: nextUpdateId++,
				message: {
					message_id: messageId++,
					from: { id: chatId, is_bot: false, first_name: 'Chris', language_code: 'en' },
					chat: { id: chatId, first_name: 'Chris', type: 'private' },
					date: Math.floor(Date.now() / 1000),
					text,
				},
			};
			const response = await fetch(webhook.url, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'x-telegram-bot-api-secret-token': webhook.secretToken ?? '',
				},
				body: JSON.stringify(update),
			});
			return response.status;
		},
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(resolve);
			}),
	};
}
