import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SPEC } from '../scripts/generate-api-types.mjs';
import { startFakeBaton } from './helpers/fakeBaton.mjs';
import { hookContext, webhookContext, workflow } from './helpers/contexts.mjs';

const require = createRequire(import.meta.url);
const { BatonTrigger } = require('../dist/nodes/BatonTrigger/BatonTrigger.node.js');
const { sign } = require('../dist/nodes/shared/signature.js');

const API_SECRET = 'whsec_' + Buffer.from('api-key-secret-0123456789abcdef').toString('base64');
const SUB_SECRET = 'whsec_' + Buffer.from('subscription-secret-0123456789ab').toString('base64');
const URL_ = 'http://127.0.0.1:5678/webhook/baton';
const trigger = new BatonTrigger();
const hooks = trigger.webhookMethods.default;

let baton;
let credentials;
let subscriptions;

function installWebhookApi() {
	subscriptions = new Map();
	let next = 1;
	baton.on('GET', '/v1/webhooks', () => ({ body: { items: [...subscriptions.values()] } }));
	baton.on('POST', '/v1/webhooks', (req) => {
		if (!req.body.url || !Array.isArray(req.body.events))
			return { status: 400, body: { title: 'Invalid request', status: 400 } };
		const hook = {
			id: `wh_${next++}`,
			url: req.body.url,
			events: req.body.events,
			scope: req.body.scope ?? 'all',
			channels: req.body.channels ?? null,
			created_at: '2026-11-25T10:00:00Z',
		};
		subscriptions.set(hook.id, hook);
		return { status: 201, body: { ...hook, secret: SUB_SECRET } };
	});
	baton.on('DELETE', /^\/v1\/webhooks\/[^/]+$/, (req) => {
		const id = decodeURIComponent(req.rawPath.split('/').pop());
		if (!subscriptions.delete(id))
			return {
				status: 404,
				body: { type: '/problems/not-found', title: 'Not Found', status: 404 },
			};
		return { status: 204 };
	});
}

before(async () => {
	baton = await startFakeBaton();
	credentials = { baseUrl: `${baton.url}/`, apiKey: 'bk_test', signingSecret: API_SECRET };
});
after(() => baton.close());
beforeEach(() => {
	baton.reset();
	installWebhookApi();
});

const params = (over = {}) => ({
	events: ['reply', 'takeover.claimed', 'session.handed_back'],
	path: 'baton',
	respond: 'lastNode',
	options: {},
	...over,
});

describe('Baton Trigger lifecycle', () => {
	it('create registers the webhook URL and events with the API key and keeps id and secret', async () => {
		const ctx = hookContext({ credentials, params: params() });
		assert.equal(await hooks.create.call(ctx), true);
		const post = baton.requests.find((r) => r.method === 'POST');
		assert.equal(post.path, '/v1/webhooks');
		assert.equal(post.headers.authorization, 'Bearer bk_test');
		assert.deepEqual(post.body.events, ['reply', 'takeover.claimed', 'session.handed_back']);
		assert.equal(post.body.url, URL_);
		assert.equal(post.body.scope, 'own_takeovers');
		assert.equal(post.body.channels, undefined);
		assert.match(post.body.description, /Support bot/);
		assert.deepEqual(ctx.staticData, {
			webhookId: 'wh_1',
			secret: SUB_SECRET,
			events: ['reply', 'takeover.claimed', 'session.handed_back'],
		});
	});

	it('checkExists is true for our live subscription and false once Baton lost it', async () => {
		const ctx = hookContext({ credentials, params: params() });
		assert.equal(await hooks.checkExists.call(ctx), false, 'nothing registered yet');
		await hooks.create.call(ctx);
		assert.equal(await hooks.checkExists.call(ctx), true);
		subscriptions.clear();
		assert.equal(await hooks.checkExists.call(ctx), false);
		assert.deepEqual(ctx.staticData, {}, 'stale id and secret are forgotten');
	});

	it('checkExists removes a subscription for our URL whose secret we do not hold', async () => {
		subscriptions.set('wh_old', { id: 'wh_old', url: URL_, events: ['reply'], created_at: 'x' });
		subscriptions.set('wh_other', {
			id: 'wh_other',
			url: 'http://elsewhere/hook',
			events: ['reply'],
			created_at: 'x',
		});
		const ctx = hookContext({ credentials, params: params() });
		assert.equal(await hooks.checkExists.call(ctx), false);
		assert.deepEqual([...subscriptions.keys()], ['wh_other']);
	});

	it('create replaces a leftover subscription for the same URL instead of adding a second one', async () => {
		subscriptions.set('wh_left', { id: 'wh_left', url: URL_, events: ['reply'], created_at: 'x' });
		const ctx = hookContext({ credentials, params: params() });
		await hooks.create.call(ctx);
		assert.deepEqual(
			[...subscriptions.values()].map((h) => h.url),
			[URL_],
		);
		assert.equal(ctx.staticData.webhookId, 'wh_1');
	});

	it('create asks Baton for the channels of Only Channels, and for every takeover with All Takeovers', async () => {
		const ctx = hookContext({
			credentials,
			params: params({ options: { channels: 'telegram, web', allTakeovers: true } }),
		});
		await hooks.create.call(ctx);
		const post = baton.requests.find((r) => r.method === 'POST');
		assert.equal(post.body.scope, 'all');
		assert.deepEqual(post.body.channels, ['telegram', 'web']);
		assert.equal(await hooks.checkExists.call(ctx), true);
	});

	it('checkExists replaces a subscription that hears every takeover (made before scopes) with a scoped one', async () => {
		const ctx = hookContext({ credentials, params: params() });
		await hooks.create.call(ctx);
		subscriptions.get('wh_1').scope = 'all';
		assert.equal(await hooks.checkExists.call(ctx), false);
		assert.equal(subscriptions.size, 0);
		await hooks.create.call(ctx);
		assert.equal(subscriptions.get('wh_2').scope, 'own_takeovers');
		assert.equal(await hooks.checkExists.call(ctx), true);
		// Changing Only Channels re-registers too.
		const narrowed = hookContext({
			credentials,
			params: params({ options: { channels: 'telegram' } }),
			staticData: ctx.staticData,
		});
		assert.equal(await hooks.checkExists.call(narrowed), false);
	});

	it('checkExists re-registers when the selected events changed', async () => {
		const ctx = hookContext({ credentials, params: params() });
		await hooks.create.call(ctx);
		const changed = hookContext({
			credentials,
			params: params({ events: ['reply'] }),
			staticData: ctx.staticData,
		});
		assert.equal(await hooks.checkExists.call(changed), false);
		assert.equal(subscriptions.size, 0);
	});

	it('delete removes the subscription and forgets it; a subscription already gone is fine', async () => {
		const ctx = hookContext({ credentials, params: params() });
		await hooks.create.call(ctx);
		assert.equal(await hooks.delete.call(ctx), true);
		assert.equal(subscriptions.size, 0);
		assert.deepEqual(ctx.staticData, {});
		const again = hookContext({
			credentials,
			params: params(),
			staticData: { webhookId: 'wh_gone', secret: SUB_SECRET },
		});
		assert.equal(await hooks.delete.call(again), true);
		assert.deepEqual(again.staticData, {});
	});

	it("errors from Baton are not swallowed: they surface as NodeApiError with Baton's detail", async () => {
		baton.on('POST', '/v1/webhooks', () => ({
			status: 400,
			body: {
				type: '/problems/validation',
				title: 'Invalid request',
				status: 400,
				detail: 'url is not allowed',
				errors: [{ field: 'url', message: 'link-local address' }],
			},
		}));
		const ctx = hookContext({ credentials, params: params() });
		await assert.rejects(hooks.create.call(ctx), (error) => {
			assert.ok(error instanceof workflow.NodeApiError);
			assert.equal(error.message, 'Invalid request: url is not allowed');
			assert.equal(error.description, 'url: link-local address');
			assert.equal(error.httpCode, '400');
			return true;
		});
		const del = hookContext({ credentials, params: params(), staticData: { webhookId: 'wh_x' } });
		baton.on('DELETE', /^\/v1\/webhooks\//, () => ({
			status: 500,
			body: { title: 'Internal error', status: 500 },
		}));
		await assert.rejects(hooks.delete.call(del), /Internal error/);
	});
});

function event(over = {}) {
	return {
		id: 'evt_0b7c',
		type: 'reply',
		occurred_at: '2026-11-25T10:00:00Z',
		session_id: '12345',
		channel: 'telegram',
		channel_ref: '12345',
		takeover_id: 'tk_1',
		reviewer: { name: 'alice', display_name: 'Alice' },
		message: {
			id: 'msg_1',
			seq: 7,
			content: "Hi, I'm Alice",
			prefixed_content: "[Alice] Hi, I'm Alice",
		},
		...over,
	};
}

function delivery(body, secret, { id = body.id, timestamp = Math.floor(Date.now() / 1000) } = {}) {
	const rawBody = Buffer.from(JSON.stringify(body));
	return {
		rawBody,
		headers: {
			'webhook-id': id,
			'webhook-timestamp': String(timestamp),
			'webhook-signature': sign(secret, id, String(timestamp), rawBody),
		},
	};
}

function webhookCall({ body, secret, timestamp }) {
	const d = delivery(body, secret, { timestamp });
	return webhookContext({
		credentials,
		params: params(),
		staticData: { webhookId: 'wh_1', secret: SUB_SECRET, events: ['reply'] },
		headers: d.headers,
		rawBody: d.rawBody,
	});
}

async function receive({
	body,
	secret,
	staticData = {
		webhookId: 'wh_1',
		secret: SUB_SECRET,
		events: ['reply', 'takeover.claimed', 'session.handed_back'],
	},
	p = params(),
	timestamp,
	headers,
}) {
	const d = delivery(body, secret, { timestamp });
	const ctx = webhookContext({
		credentials,
		params: p,
		staticData,
		headers: headers ?? d.headers,
		rawBody: d.rawBody,
	});
	const result = await trigger.webhook.call(ctx);
	return { result, response: ctx.response };
}

describe('Baton Trigger callbacks', () => {
	it('turns a correctly signed reply into one clean item, text prefixed with the reviewer', async () => {
		const { result, response } = await receive({ body: event(), secret: SUB_SECRET });
		assert.equal(response.statusCode, undefined, 'n8n answers: nothing written by hand');
		assert.deepEqual(result.webhookResponse, { received: true, event_id: 'evt_0b7c' });
		assert.equal(result.workflowData.length, 1);
		assert.deepEqual(result.workflowData[0], [
			{
				json: {
					event: 'reply',
					event_id: 'evt_0b7c',
					occurred_at: '2026-11-25T10:00:00Z',
					session_id: '12345',
					channel: 'telegram',
					channel_ref: '12345',
					takeover_id: 'tk_1',
					text: "[Alice] Hi, I'm Alice",
					reviewer_name: 'alice',
					reviewer_display_name: 'Alice',
					message_id: 'msg_1',
					seq: 7,
					content: "Hi, I'm Alice",
					prefixed_content: "[Alice] Hi, I'm Alice",
					summary: null,
					memory_messages: null,
					decision: null,
					edited: null,
					comment: null,
					position: null,
					expected_wait_seconds: null,
					opens_at: null,
					assignee: null,
					widget_id: null,
					widget_name: null,
					is_template: false,
					template_name: null,
					template_language: null,
					template_category: null,
					template_header_parameters: null,
					template_body_parameters: null,
					template_components: null,
				},
			},
		]);
	});

	it("flattens a WhatsApp template reply for Send Template: name, language, category, the body's texts in order, the components as is", async () => {
		const components = [
			{ type: 'header', parameters: [{ type: 'text', text: 'Your order' }] },
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'Ana' },
					{ type: 'text', text: '#123' },
					{ type: 'text', text: '€12.50' },
				],
			},
			{
				type: 'button',
				sub_type: 'url',
				index: '0',
				parameters: [{ type: 'text', text: 'track/123' }],
			},
		];
		const body = event({
			channel: 'whatsapp',
			channel_ref: '4915112345678',
			message: {
				id: 'msg_9',
				seq: 12,
				content: 'Hi Ana, your order #123 has shipped (€12.50).',
				prefixed_content: '[Alice] Hi Ana, your order #123 has shipped (€12.50).',
				template: { name: 'order_update', language: { code: 'en_US' }, components },
				template_category: 'UTILITY',
			},
		});
		const { result } = await receive({ body, secret: SUB_SECRET });
		const item = result.workflowData[0][0].json;
		assert.equal(item.is_template, true);
		assert.equal(item.template_name, 'order_update');
		assert.equal(item.template_language, 'en_US');
		assert.equal(item.template_category, 'UTILITY');
		assert.deepEqual(item.template_header_parameters, ['Your order']);
		assert.deepEqual(item.template_body_parameters, ['Ana', '#123', '€12.50']);
		assert.deepEqual(item.template_components, components);
		// Everything else stays: the rendered text is the item's text, sent to the same address.
		assert.equal(item.text, '[Alice] Hi Ana, your order #123 has shipped (€12.50).');
		assert.equal(item.content, 'Hi Ana, your order #123 has shipped (€12.50).');
		assert.equal(item.channel_ref, '4915112345678');
		assert.equal(item.message_id, 'msg_9');
		assert.equal(item.reviewer_display_name, 'Alice');
	});

	it("a media header's parameter is its link", async () => {
		const components = [
			{
				type: 'header',
				parameters: [{ type: 'document', document: { link: 'https://files.example/i.pdf' } }],
			},
		];
		const body = event({
			channel: 'whatsapp',
			message: {
				id: 'msg_11',
				seq: 14,
				content: 'Your invoice is attached.',
				prefixed_content: '[Alice] Your invoice is attached.',
				template: { name: 'invoice', language: { code: 'en' }, components },
				template_category: 'UTILITY',
			},
		});
		const { result } = await receive({ body, secret: SUB_SECRET });
		const item = result.workflowData[0][0].json;
		assert.deepEqual(item.template_header_parameters, ['https://files.example/i.pdf']);
		assert.deepEqual(item.template_body_parameters, []);
		assert.deepEqual(item.template_components, components);
	});

	it('a template without parameters has an empty body list, and no header list', async () => {
		const body = event({
			channel: 'whatsapp',
			message: {
				id: 'msg_10',
				seq: 13,
				content: 'We are here to help. Reply to continue.',
				prefixed_content: '[Alice] We are here to help. Reply to continue.',
				template: { name: 'hello_again', language: { code: 'de' } },
				template_category: null,
			},
		});
		const { result } = await receive({ body, secret: SUB_SECRET });
		const item = result.workflowData[0][0].json;
		assert.equal(item.is_template, true);
		assert.equal(item.template_name, 'hello_again');
		assert.equal(item.template_language, 'de');
		assert.equal(item.template_category, null);
		assert.deepEqual(item.template_body_parameters, []);
		assert.equal(item.template_header_parameters, null);
		assert.deepEqual(item.template_components, []);
	});

	it('only a reply is ever a template: other events and plain replies say is_template false', async () => {
		const plain = await receive({
			body: event({ message: { ...event().message, template: null } }),
			secret: SUB_SECRET,
		});
		assert.equal(plain.result.workflowData[0][0].json.is_template, false);
		assert.equal(plain.result.workflowData[0][0].json.template_name, null);
		const claimed = await receive({
			body: event({
				type: 'takeover.claimed',
				text: 'Alice joined the conversation',
				message: {
					...event().message,
					template: { name: 'order_update', language: { code: 'en_US' }, components: [] },
				},
			}),
			secret: SUB_SECRET,
		});
		const item = claimed.result.workflowData[0][0].json;
		assert.equal(item.is_template, false);
		assert.equal(item.template_components, null);
	});

	it("turns a web visitor's customer.message into an item with the words, the session and the widget", async () => {
		const body = {
			id: 'evt_9a1',
			type: 'customer.message',
			occurred_at: '2026-11-25T10:00:00Z',
			session_id: 'web_4f2a',
			channel: 'web',
			channel_ref: 'web_4f2a',
			takeover_id: null,
			message: {
				id: 'msg_3',
				seq: 3,
				content: 'Where is my parcel?',
				prefixed_content: 'Where is my parcel?',
			},
			widget: { id: 'wgt_1', name: 'Shop' },
		};
		const events = ['customer.message', 'reply', 'takeover.claimed'];
		const { result, response } = await receive({
			body,
			secret: SUB_SECRET,
			p: params({ events }),
			staticData: { webhookId: 'wh_1', secret: SUB_SECRET, events },
		});
		assert.equal(response.statusCode, undefined);
		assert.deepEqual(result.webhookResponse, { received: true, event_id: 'evt_9a1' });
		const item = result.workflowData[0][0].json;
		assert.equal(item.event, 'customer.message');
		assert.equal(item.session_id, 'web_4f2a');
		assert.equal(item.channel, 'web');
		assert.equal(item.channel_ref, 'web_4f2a');
		assert.equal(item.takeover_id, null);
		assert.equal(item.content, 'Where is my parcel?');
		assert.equal(item.seq, 3);
		assert.equal(item.message_id, 'msg_3');
		assert.equal(item.text, null, 'nothing for the workflow to send to the customer');
		assert.equal(item.reviewer_name, null);
		assert.equal(item.widget_id, 'wgt_1');
		assert.equal(item.widget_name, 'Shop');
	});

	it('acknowledges a customer.message without starting a workflow whose trigger does not select it', async () => {
		const { result, response } = await receive({
			body: event({ type: 'customer.message', channel: 'web', reviewer: null }),
			secret: SUB_SECRET,
		});
		assert.equal(response.statusCode, 200);
		assert.match(response.body.ignored, /customer\.message is not selected/);
		assert.equal(result.workflowData, undefined);
	});

	it('names where an escalated takeover moved to', async () => {
		const body = event({
			type: 'takeover.escalated',
			reviewer: null,
			message: null,
			assignee: 'tier2',
		});
		const { result } = await receive({
			body,
			secret: SUB_SECRET,
			p: params({ events: ['takeover.escalated'] }),
			staticData: { webhookId: 'wh_1', secret: SUB_SECRET, events: ['takeover.escalated'] },
		});
		const item = result.workflowData[0][0].json;
		assert.equal(item.event, 'takeover.escalated');
		assert.equal(item.assignee, 'tier2');
		assert.equal(item.text, null);
		assert.equal(item.reviewer_name, null);
	});

	it('keeps the reply as written when the prefix option is off', async () => {
		const { result } = await receive({
			body: event(),
			secret: SUB_SECRET,
			p: params({ options: { prefixReviewerName: false } }),
		});
		assert.equal(result.workflowData[0][0].json.text, "Hi, I'm Alice");
	});

	it("uses the ready sentence of a handback and keeps the summary and the AI's memory messages", async () => {
		const memory = [
			{ type: 'user', message: 'Charged twice' },
			{ type: 'ai', message: '[Alice] Refunded' },
			{ type: 'system', message: 'Alice, a person from the team, … Summary: Refund issued' },
		];
		const body = event({
			type: 'session.handed_back',
			message: null,
			text: 'Alice is handing you back to the assistant',
			summary: 'Refund issued',
			memory_messages: memory,
		});
		const { result } = await receive({ body, secret: SUB_SECRET });
		const item = result.workflowData[0][0].json;
		assert.equal(item.text, 'Alice is handing you back to the assistant');
		assert.equal(item.summary, 'Refund issued');
		assert.deepEqual(item.memory_messages, memory);
		assert.equal(item.channel_ref, '12345');
	});

	it("turns queue.updated into an item with Baton's sentence, the place in the queue and the expected wait", async () => {
		const body = event({
			type: 'queue.updated',
			reviewer: null,
			message: null,
			text: 'You are number 3 in the queue, about 4 minutes.',
			position: 3,
			expected_wait_seconds: 240,
			opens_at: null,
		});
		const { result } = await receive({
			body,
			secret: SUB_SECRET,
			p: params({ events: ['reply', 'queue.updated'] }),
			staticData: { webhookId: 'wh_1', secret: SUB_SECRET, events: ['reply', 'queue.updated'] },
		});
		const item = result.workflowData[0][0].json;
		assert.equal(item.event, 'queue.updated');
		assert.equal(item.text, 'You are number 3 in the queue, about 4 minutes.');
		assert.equal(item.position, 3);
		assert.equal(item.expected_wait_seconds, 240);
		assert.equal(item.opens_at, null);
		assert.equal(item.channel_ref, '12345');
		assert.equal(item.reviewer_name, null);
		assert.equal(item.seq, null);
	});

	it("turns takeover.off_hours into an item with the team's message and its opening time", async () => {
		const body = event({
			type: 'takeover.off_hours',
			reviewer: null,
			message: null,
			text: 'We are closed right now. A person will answer from Thursday 09:00 (Europe/Berlin).',
			opens_at: '2026-11-26T08:00:00Z',
		});
		// The takeover's own callback (API key secret), with no subscription covering the event.
		const { result } = await receive({
			body,
			secret: API_SECRET,
			p: params({ events: ['reply', 'takeover.off_hours'] }),
			staticData: {},
		});
		const item = result.workflowData[0][0].json;
		assert.equal(item.event, 'takeover.off_hours');
		assert.equal(
			item.text,
			'We are closed right now. A person will answer from Thursday 09:00 (Europe/Berlin).',
		);
		assert.equal(item.opens_at, '2026-11-26T08:00:00Z');
		assert.equal(item.position, null);
		assert.equal(item.expected_wait_seconds, null);
	});

	it("acknowledges a takeover's own queue.updated without starting the workflow when the trigger does not select it", async () => {
		const body = event({
			type: 'queue.updated',
			reviewer: null,
			message: null,
			text: 'You are next in the queue.',
			position: 1,
		});
		const { result, response } = await receive({ body, secret: API_SECRET, staticData: {} });
		assert.equal(response.statusCode, 200);
		assert.match(response.body.ignored, /queue\.updated is not selected/);
		assert.equal(result.workflowData, undefined);
	});

	it('answers 401 and starts nothing for a request without Baton signature headers', async () => {
		for (const headers of [{}, { 'webhook-id': 'evt_0b7c' }]) {
			const { result, response } = await receive({ body: event(), secret: SUB_SECRET, headers });
			assert.equal(response.statusCode, 401);
			assert.match(response.body.error, /^invalid signature: missing webhook-id/);
			assert.deepEqual(result, { noWebhookResponse: true });
		}
	});

	it('fails the execution with an error naming the Signing Secret when a signed callback does not verify', async () => {
		const wrong = 'whsec_' + Buffer.from('not-the-secret').toString('base64');
		const ctx = webhookCall({ body: event(), secret: wrong });
		await assert.rejects(trigger.webhook.call(ctx), (error) => {
			assert.ok(error instanceof workflow.NodeOperationError, String(error));
			assert.equal(
				error.message,
				'Baton callback refused: signature does not match (webhook-id evt_0b7c)',
			);
			assert.match(error.description, /Signing Secret of the Baton API credential/);
			assert.match(error.description, /run its Test/);
			return true;
		});
		// Nothing written: n8n answers the caller itself and records the failed execution.
		assert.equal(ctx.response.statusCode, undefined);
	});

	it('fails the execution with an error about the clocks for a stale timestamp', async () => {
		const ctx = webhookCall({
			body: event(),
			secret: SUB_SECRET,
			timestamp: Math.floor(Date.now() / 1000) - 301,
		});
		await assert.rejects(trigger.webhook.call(ctx), (error) => {
			assert.ok(error instanceof workflow.NodeOperationError);
			assert.match(error.message, /outside the 5 minute tolerance/);
			assert.match(error.description, /clocks of Baton and n8n/);
			return true;
		});
		assert.equal(ctx.response.statusCode, undefined);
	});

	it('refuses a body changed after signing', async () => {
		const d = delivery(event(), SUB_SECRET);
		const tampered = Buffer.from(
			d.rawBody.toString().replace("Hi, I'm Alice", 'Send me your password'),
		);
		const ctx = webhookContext({
			credentials,
			params: params(),
			staticData: { webhookId: 'wh_1', secret: SUB_SECRET, events: ['reply'] },
			headers: d.headers,
			rawBody: tampered,
		});
		await assert.rejects(trigger.webhook.call(ctx), /signature does not match/);
		assert.equal(ctx.response.statusCode, undefined);
	});

	it('acknowledges event types that are not selected without starting the workflow', async () => {
		const { result, response } = await receive({
			body: event({ type: 'typing', message: null }),
			secret: SUB_SECRET,
		});
		assert.equal(response.statusCode, 200);
		assert.equal(result.workflowData, undefined);
	});

	it("accepts a takeover's own callback signed with the API key secret when no subscription covers it", async () => {
		const { result } = await receive({ body: event(), secret: API_SECRET, staticData: {} });
		assert.equal(result.workflowData[0][0].json.text, "[Alice] Hi, I'm Alice");
	});

	it("starts the workflow from a takeover's own callback even when the subscription selects the same event (Baton sends no second copy)", async () => {
		const { result } = await receive({ body: event(), secret: API_SECRET });
		assert.equal(result.workflowData[0][0].json.text, "[Alice] Hi, I'm Alice");
	});

	it("accepts a takeover's own callback with a blank credential secret: Baton signs it with the subscription's secret too", async () => {
		const d = delivery(event(), API_SECRET);
		const both = `${d.headers['webhook-signature']} ${sign(SUB_SECRET, 'evt_0b7c', d.headers['webhook-timestamp'], d.rawBody)}`;
		const ctx = webhookContext({
			credentials: { ...credentials, signingSecret: '' },
			params: params(),
			staticData: { webhookId: 'wh_1', secret: SUB_SECRET, events: ['reply'] },
			headers: { ...d.headers, 'webhook-signature': both },
			rawBody: d.rawBody,
		});
		const result = await trigger.webhook.call(ctx);
		assert.equal(result.workflowData[0][0].json.text, "[Alice] Hi, I'm Alice");
	});

	it('with Only Channels set, acknowledges events of other channels without starting the workflow', async () => {
		const only = params({ options: { channels: 'whatsapp, web' } });
		const skipped = await receive({ body: event(), secret: SUB_SECRET, p: only });
		assert.equal(skipped.response.statusCode, 200);
		assert.equal(skipped.result.workflowData, undefined);
		const taken = await receive({ body: event({ channel: 'web' }), secret: SUB_SECRET, p: only });
		assert.equal(taken.result.workflowData[0][0].json.channel, 'web');
	});

	it('answers 400 to a signed body that is not a Baton event', async () => {
		const { response } = await receive({ body: { hello: 'world', id: 'x' }, secret: SUB_SECRET });
		assert.equal(response.statusCode, 400);
	});
});

describe('Baton Trigger description', () => {
	it('registers a POST webhook on the chosen path and lets the user pick every event type', () => {
		const d = trigger.description;
		assert.equal(d.webhooks[0].httpMethod, 'POST');
		assert.equal(d.webhooks[0].path, '={{ $parameter["path"] }}');
		assert.equal(d.webhooks[0].responseMode, '={{ $parameter["respond"] }}');
		assert.equal(
			d.webhooks[0].responseData,
			'={{ $parameter["respond"] === "lastNode" ? "noData" : "" }}',
		);
		const events = d.properties
			.find((p) => p.name === 'events')
			.options.map((o) => o.value)
			.sort();
		assert.deepEqual(events, [
			'approval.decided',
			'customer.message',
			'queue.updated',
			'reply',
			'session.closed',
			'session.handed_back',
			'takeover.claimed',
			'takeover.escalated',
			'takeover.off_hours',
			'takeover.released',
			'takeover.timed_out',
			'takeover.transferred',
			'typing',
		]);
	});

	it('offers exactly the event types of the API (EventType in openapi.json, and customer.message)', () => {
		const spec = JSON.parse(readFileSync(SPEC, 'utf8'));
		const offered = trigger.description.properties
			.find((p) => p.name === 'events')
			.options.map((o) => o.value)
			.sort();
		// customer.message is the web chat widget's event (issue 15): in the spec once the server
		// side publishes it, offered by the trigger either way.
		const api = new Set([...spec.components.schemas.EventType.enum, 'customer.message']);
		assert.deepEqual(offered, [...api].sort());
	});

	it('explains customer.message as the event to answer with Send AI Answer', () => {
		const options = trigger.description.properties.find((p) => p.name === 'events').options;
		const option = options.find((o) => o.value === 'customer.message');
		assert.equal(option.name, 'Customer Message');
		assert.match(option.description, /web visitor/);
		assert.match(option.description, /Send AI Answer/);
	});

	it('explains the queue and off-hours events in their own words', () => {
		const options = trigger.description.properties.find((p) => p.name === 'events').options;
		const describe = (value) => options.find((o) => o.value === value).description;
		assert.match(describe('queue.updated'), /You are number 3 in the queue, about 4 minutes/);
		assert.match(describe('takeover.off_hours'), /off-hours message with the opening time/);
	});
});
