import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFakeBaton } from './helpers/fakeBaton.mjs';
import { executeContext, webhookContext, workflow } from './helpers/contexts.mjs';

const require = createRequire(import.meta.url);
const { Baton } = require('../dist/nodes/Baton/Baton.node.js');
const { sign } = require('../dist/nodes/shared/signature.js');
const { triggerUrlFromResumeUrl } = require('../dist/nodes/shared/replyWebhook.js');
const { buildRequestOptions } = require('../dist/nodes/shared/transport.js');

const node = new Baton();
let baton;
let credentials;

const STATE = {
	session_id: '+49 170/555 0101',
	owner: 'ai',
	status: 'ai',
	assigned_to: null,
	takeover_id: null,
	channel: 'whatsapp',
	channel_ref: '+49 170/555 0101',
	user_id: null,
	created_at: '2026-11-25T10:00:00Z',
	updated_at: '2026-11-25T10:00:00Z',
	last_user_message_at: '2026-11-25T10:00:00Z',
};

const QUEUE_KEYS = ['queue', 'queue_position', 'expected_wait_seconds', 'team_open', 'opens_at'];
const pick = (object, keys) => Object.fromEntries(keys.map((k) => [k, object[k]]));

before(async () => {
	baton = await startFakeBaton();
	credentials = {
		baseUrl: baton.url,
		apiKey: 'bk_key',
		signingSecret: 'whsec_' + Buffer.from('s3cret-s3cret-s3cret').toString('base64'),
	};
});
after(() => baton.close());
beforeEach(() => baton.reset());

async function run(params, options = {}) {
	const ctx = executeContext({ credentials, params, ...options });
	const output = await node.execute.call(ctx);
	return { output, ctx };
}

describe('Session: record message (turn gate)', () => {
	const ENCODED = '/v1/sessions/%2B49%20170%2F555%200101/messages';

	it('posts the turn to the percent-encoded session path with only the filled-in fields', async () => {
		baton.on('POST', ENCODED, () => ({
			status: 201,
			body: { ...STATE, seq: 3, message_id: 'm3', duplicate: false },
		}));
		const { output } = await run({
			resource: 'session',
			operation: 'recordMessage',
			sessionId: '+49 170/555 0101',
			sender: 'user',
			content: 'I want to talk to a person',
			additionalFields: { messageId: 991, channel: 'whatsapp', meta: '{"lang":"en"}', userId: '' },
		});
		const req = baton.requests[0];
		assert.equal(req.method, 'POST');
		assert.equal(req.rawPath, ENCODED);
		assert.equal(req.headers.authorization, 'Bearer bk_key');
		assert.deepEqual(req.body, {
			sender: 'user',
			content: 'I want to talk to a person',
			id: '991',
			channel: 'whatsapp',
			meta: { lang: 'en' },
		});
		assert.equal(output[0].length, 1);
		assert.equal(output[0][0].json.owner, 'ai');
		assert.equal(output[0][0].json.human_owns, false);
		assert.equal(output[0][0].json.accepted, true);
		assert.equal(output[0][0].json.seq, 3);
		assert.deepEqual(output[0][0].pairedItem, { item: 0 });
	});

	it('turns a refused AI turn (409) into an item with accepted=false and the current owner', async () => {
		baton.on('POST', ENCODED, () => ({
			status: 409,
			body: {
				type: '/problems/ai-turn-refused',
				title: 'AI turn refused',
				status: 409,
				detail: 'a human owns this session',
			},
		}));
		baton.on('GET', '/v1/sessions/%2B49%20170%2F555%200101', () => ({
			body: { ...STATE, owner: 'human', status: 'human_active', assigned_to: 'alice' },
		}));
		const { output } = await run({
			resource: 'session',
			operation: 'recordMessage',
			sessionId: '+49 170/555 0101',
			sender: 'ai',
			content: 'Sure!',
			additionalFields: {},
		});
		const item = output[0][0].json;
		assert.equal(item.accepted, false);
		assert.equal(item.owner, 'human');
		assert.equal(item.human_owns, true);
		assert.equal(item.assigned_to, 'alice');
		assert.equal(item.refused, 'AI turn refused: a human owns this session');
	});

	it('records a staff turn from outside Baton as staff:<name> with where an implicit takeover answers', async () => {
		baton.on('POST', ENCODED, () => ({
			status: 201,
			body: {
				...STATE,
				owner: 'staff',
				status: 'staff_active',
				outside_by: 'staff:Maria',
				takeover_id: 'tk_9',
				seq: 4,
				message_id: 'm4',
				duplicate: false,
			},
		}));
		const { output } = await run(
			{
				resource: 'session',
				operation: 'recordMessage',
				sessionId: '+49 170/555 0101',
				sender: 'staff',
				staffName: ' Maria ',
				replyTo: 'trigger',
				triggerPath: 'baton',
				assignee: 'support',
				content: 'Your order ships today',
				additionalFields: { channel: 'whatsapp' },
			},
			{ resumeUrl: 'https://n8n.example.com/webhook-waiting/77' },
		);
		assert.deepEqual(baton.requests[0].body, {
			sender: 'staff:Maria',
			content: 'Your order ships today',
			channel: 'whatsapp',
			reply_webhook: 'https://n8n.example.com/webhook/baton',
			assignee: 'support',
		});
		const item = output[0][0].json;
		assert.equal(item.owner, 'staff');
		assert.equal(item.outside_by, 'staff:Maria');
		assert.equal(item.human_owns, true, 'a person outside Baton owns it: the AI stays quiet');
		assert.equal(item.accepted, true);
	});

	it('sends a nameless staff turn as staff, and no staff fields for other senders', async () => {
		baton.on('POST', ENCODED, () => ({
			status: 201,
			body: { ...STATE, owner: 'staff', status: 'staff_active', seq: 1, message_id: 'm', duplicate: false },
		}));
		await run({
			resource: 'session',
			operation: 'recordMessage',
			sessionId: '+49 170/555 0101',
			sender: 'staff',
			staffName: '',
			replyTo: 'url',
			replyWebhookUrl: 'https://hooks.example.com/baton',
			assignee: '',
			content: 'On my way',
			additionalFields: {},
		});
		assert.deepEqual(baton.requests[0].body, {
			sender: 'staff',
			content: 'On my way',
			reply_webhook: 'https://hooks.example.com/baton',
		});
		await run({
			resource: 'session',
			operation: 'recordMessage',
			sessionId: '+49 170/555 0101',
			sender: 'user',
			staffName: 'Maria',
			replyTo: 'url',
			replyWebhookUrl: 'https://hooks.example.com/baton',
			assignee: 'support',
			content: 'hi',
			additionalFields: {},
		});
		assert.deepEqual(baton.requests[1].body, { sender: 'user', content: 'hi' });
	});

	it('offers the staff sender with an optional name on the turn gate', () => {
		const props = node.description.properties;
		const sender = props.find(
			(p) => p.name === 'sender' && p.displayOptions?.show?.operation?.includes('recordMessage'),
		);
		assert.ok(sender.options.some((o) => o.value === 'staff'), 'staff is a sender');
		const name = props.find((p) => p.name === 'staffName');
		assert.deepEqual(name.displayOptions.show.sender, ['staff']);
		assert.equal(name.required, undefined, 'the name is optional');
	});

	it('runs once per input item, each with its own session and paired item', async () => {
		baton.on('POST', /^\/v1\/sessions\/[^/]+\/messages$/, (req) => ({
			status: 201,
			body: {
				...STATE,
				session_id: decodeURIComponent(req.rawPath.split('/')[3]),
				seq: 1,
				message_id: 'm',
				duplicate: false,
			},
		}));
		const items = [{ json: { chat: 1 } }, { json: { chat: 2 } }];
		const { output } = await run(
			{
				resource: 'session',
				operation: 'recordMessage',
				sessionId: (i) => String(items[i].json.chat),
				sender: 'user',
				content: (i) => `hello ${i}`,
				additionalFields: {},
			},
			{ items },
		);
		assert.deepEqual(
			output[0].map((o) => [o.json.session_id, o.pairedItem.item]),
			[
				['1', 0],
				['2', 1],
			],
		);
		assert.deepEqual(
			baton.requests.map((r) => r.body.content),
			['hello 0', 'hello 1'],
		);
	});
});

describe('Session: send AI answer (web chat widget)', () => {
	const PATH = '/v1/sessions/web_4f2a/messages';
	const REFUSED = {
		status: 409,
		body: {
			type: 'https://baton.example/problems/ai-turn-refused',
			title: 'AI turn refused',
			status: 409,
			detail: 'a human owns session web_4f2a',
		},
	};
	const params = (over = {}) => ({
		resource: 'session',
		operation: 'sendAiAnswer',
		sessionId: 'web_4f2a',
		text: 'Your parcel left our warehouse today.',
		onPersonOwns: 'error',
		options: {},
		...over,
	});

	it('posts an ai turn with the text to the session path and outputs the session state', async () => {
		baton.on('POST', PATH, () => ({
			status: 201,
			body: {
				...STATE,
				session_id: 'web_4f2a',
				channel: 'web',
				channel_ref: 'web_4f2a',
				seq: 4,
				message_id: 'm4',
				duplicate: false,
			},
		}));
		const { output } = await run(params());
		assert.equal(baton.requests.length, 1);
		const req = baton.requests[0];
		assert.equal(req.method, 'POST');
		assert.equal(req.rawPath, PATH);
		assert.equal(req.headers.authorization, 'Bearer bk_key');
		assert.deepEqual(req.body, { sender: 'ai', content: 'Your parcel left our warehouse today.' });
		const item = output[0][0];
		assert.deepEqual(item.pairedItem, { item: 0 });
		assert.equal(item.json.session_id, 'web_4f2a');
		assert.equal(item.json.owner, 'ai');
		assert.equal(item.json.seq, 4);
		assert.equal(item.json.sent, true);
		assert.equal(item.json.refused, false);
		assert.equal(item.json.human_owns, false);
	});

	it('sends the optional message ID, and percent-encodes the session ID', async () => {
		baton.on('POST', '/v1/sessions/web%2F1%20x/messages', () => ({
			status: 200,
			body: { ...STATE, session_id: 'web/1 x', seq: 4, message_id: 'm4', duplicate: true },
		}));
		await run(params({ sessionId: 'web/1 x', options: { messageId: 'ai_evt_9a1' } }));
		assert.equal(baton.requests[0].rawPath, '/v1/sessions/web%2F1%20x/messages');
		assert.deepEqual(baton.requests[0].body, {
			sender: 'ai',
			content: 'Your parcel left our warehouse today.',
			id: 'ai_evt_9a1',
		});
	});

	it('defaults the session ID to the session_id of the incoming item', () => {
		const field = node.description.properties.find(
			(p) => p.name === 'sessionId' && p.displayOptions.show.operation.includes('sendAiAnswer'),
		);
		assert.equal(field.default, '={{ $json.session_id }}');
		assert.equal(field.required, true);
		const onPersonOwns = node.description.properties.find((p) => p.name === 'onPersonOwns');
		assert.equal(onPersonOwns.displayName, 'On Person Owns Session');
		assert.equal(onPersonOwns.default, 'error');
		assert.deepEqual(
			onPersonOwns.options.map((o) => [o.name, o.value]),
			[
				['Error', 'error'],
				['Output and Continue', 'continue'],
			],
		);
	});

	it('refused while a person owns the session (409 ai-turn-refused): a clear NodeApiError by default', async () => {
		baton.on('POST', PATH, () => REFUSED);
		await assert.rejects(run(params()), (error) => {
			assert.ok(error instanceof workflow.NodeApiError);
			assert.equal(
				error.message,
				'A person owns this conversation: Baton did not send the AI answer',
			);
			assert.equal(error.httpCode, '409');
			assert.match(error.description, /a human owns session web_4f2a/);
			assert.match(error.description, /Output and Continue/);
			return true;
		});
		assert.equal(baton.requests.length, 1, 'no second request');
	});

	it('refused with "Output and Continue": an item with refused=true and owner=human, paired to its input', async () => {
		baton.on('POST', PATH, () => REFUSED);
		const { output } = await run(params({ onPersonOwns: 'continue' }));
		assert.deepEqual(output[0], [
			{
				json: {
					session_id: 'web_4f2a',
					sent: false,
					refused: true,
					owner: 'human',
					human_owns: true,
					detail: 'AI turn refused: a human owns session web_4f2a',
				},
				pairedItem: { item: 0 },
			},
		]);
	});

	it('with Continue on Fail, a refusal in Error mode and other errors become error items; the rest go on', async () => {
		baton.on('POST', /^\/v1\/sessions\/[^/]+\/messages$/, (req) => {
			const id = decodeURIComponent(req.rawPath.split('/')[3]);
			if (id === 'taken') return REFUSED;
			if (id === 'gone')
				return {
					status: 404,
					body: {
						type: '/problems/not-found',
						title: 'Not Found',
						status: 404,
						detail: 'no session gone',
					},
				};
			return {
				status: 201,
				body: { ...STATE, session_id: id, seq: 2, message_id: 'm', duplicate: false },
			};
		});
		const items = [
			{ json: { session_id: 'taken' } },
			{ json: { session_id: 'gone' } },
			{ json: { session_id: 'ok' } },
		];
		const { output } = await run(params({ sessionId: (i) => items[i].json.session_id }), {
			items,
			continueOnFail: true,
		});
		assert.equal(output[0].length, 3);
		assert.equal(output[0][0].json.httpCode, '409');
		assert.match(output[0][0].json.error, /A person owns this conversation/);
		assert.deepEqual(output[0][0].pairedItem, { item: 0 });
		assert.deepEqual(output[0][1], {
			json: {
				error: 'Not Found: no session gone',
				httpCode: '404',
				description: '/problems/not-found',
			},
			pairedItem: { item: 1 },
		});
		assert.equal(output[0][2].json.sent, true);
		assert.deepEqual(output[0][2].pairedItem, { item: 2 });
	});

	it('passes on other 409s (not a refused AI turn) as they are', async () => {
		baton.on('POST', PATH, () => ({
			status: 409,
			body: { type: '/problems/session-closed', title: 'Session closed', status: 409 },
		}));
		await assert.rejects(run(params({ onPersonOwns: 'continue' })), (error) => {
			assert.ok(error instanceof workflow.NodeApiError);
			assert.equal(error.message, 'Session closed');
			return true;
		});
	});

	it('refuses an empty session ID before calling Baton', async () => {
		await assert.rejects(run(params({ sessionId: '  ' })), /Session ID is empty/);
		assert.equal(baton.requests.length, 0);
	});
});

describe('Errors', () => {
	it("raises Baton's problem details as a NodeApiError", async () => {
		baton.on('GET', '/v1/sessions/nope', () => ({
			status: 404,
			body: {
				type: '/problems/not-found',
				title: 'Not found',
				status: 404,
				detail: 'no session nope',
			},
		}));
		await assert.rejects(
			run({ resource: 'session', operation: 'get', sessionId: 'nope' }),
			(error) => {
				assert.ok(error instanceof workflow.NodeApiError);
				assert.equal(error.message, 'Not found: no session nope');
				assert.equal(error.httpCode, '404');
				return true;
			},
		);
	});

	it('with Continue on Fail, a failing item becomes an error item paired to its input and the rest go on', async () => {
		baton.on('GET', '/v1/sessions/bad', () => ({
			status: 404,
			body: { title: 'Not found', status: 404, detail: 'no session bad' },
		}));
		baton.on('GET', '/v1/sessions/good', () => ({ body: { ...STATE, session_id: 'good' } }));
		const items = [{ json: { s: 'bad' } }, { json: { s: 'good' } }];
		const { output } = await run(
			{ resource: 'session', operation: 'get', sessionId: (i) => items[i].json.s },
			{ items, continueOnFail: true },
		);
		assert.deepEqual(output[0][0], {
			json: { error: 'Not found: no session bad', httpCode: '404', description: 'no session bad' },
			pairedItem: { item: 0 },
		});
		assert.equal(output[0][1].json.session_id, 'good');
		assert.deepEqual(output[0][1].pairedItem, { item: 1 });
	});

	it('reports an unreachable Baton with its address', async () => {
		const ctx = executeContext({
			credentials: { ...credentials, baseUrl: 'http://127.0.0.1:9' },
			params: { resource: 'session', operation: 'get', sessionId: 'x' },
		});
		await assert.rejects(node.execute.call(ctx), /Cannot reach Baton at http:\/\/127\.0\.0\.1:9/);
	});
});

describe('Takeover: request', () => {
	it('sends every takeover field, the Idempotency-Key header, and the Baton Trigger URL as reply webhook', async () => {
		baton.on('POST', '/v1/takeovers', (req) => ({
			status: 201,
			body: {
				id: 'tk_1',
				session_id: req.body.session_id,
				mode: 'takeover',
				status: 'requested',
				outcome: null,
				reason: req.body.reason,
				inbox_url: 'http://baton/inbox/tk_1',
			},
		}));
		const { output } = await run(
			{
				resource: 'takeover',
				operation: 'request',
				sessionId: 12345,
				mode: 'takeover',
				reason: 'low_confidence',
				replyTo: 'trigger',
				triggerPath: '/baton-replies',
				assignee: 'support',
				timeout: '10m',
				history: '[{"sender":"user","content":"hi","id":"t1"},{"sender":"ai","content":"hello"}]',
				context: { tool_calls: [{ name: 'lookup_order', result: null }] },
				additionalFields: {
					summary: 'Wants a refund',
					priority: 5,
					channel: 'telegram',
					channelRef: 12345,
					idempotencyKey: 'exec-9',
					handbackSignal: '',
				},
			},
			{ resumeUrl: 'https://n8n.example.com/sub/webhook-waiting/981' },
		);
		const req = baton.requests[0];
		assert.equal(req.headers['idempotency-key'], 'exec-9');
		assert.deepEqual(req.body, {
			mode: 'takeover',
			session_id: '12345',
			reply_webhook: 'https://n8n.example.com/sub/webhook/baton-replies',
			reason: 'low_confidence',
			assignee: 'support',
			timeout: '10m',
			history: [
				{ sender: 'user', content: 'hi', id: 't1' },
				{ sender: 'ai', content: 'hello' },
			],
			context: { tool_calls: [{ name: 'lookup_order', result: null }] },
			channel: 'telegram',
			channel_ref: '12345',
			summary: 'Wants a refund',
			priority: 5,
		});
		assert.equal(output[0][0].json.created, true);
		assert.equal(output[0][0].json.inbox_url, 'http://baton/inbox/tk_1');
	});

	it('leaves empty history/context/assignee out, sends a timeout in seconds as text, and reports an existing takeover', async () => {
		baton.on('POST', '/v1/takeovers', () => ({
			status: 200,
			body: {
				id: 'tk_open',
				session_id: 's',
				mode: 'takeover',
				status: 'claimed',
				outcome: null,
				reason: 'user_requested',
				inbox_url: 'x',
			},
		}));
		const { output } = await run({
			resource: 'takeover',
			operation: 'request',
			sessionId: 's',
			mode: 'takeover',
			reason: 'user_requested',
			replyTo: 'url',
			replyWebhookUrl: ' http://127.0.0.1:5678/webhook/custom ',
			assignee: '',
			timeout: '90',
			history: '[]',
			context: '{}',
			additionalFields: {},
		});
		assert.deepEqual(baton.requests[0].body, {
			mode: 'takeover',
			session_id: 's',
			reply_webhook: 'http://127.0.0.1:5678/webhook/custom',
			reason: 'user_requested',
			timeout: '90',
		});
		assert.equal(baton.requests[0].headers['idempotency-key'], undefined);
		assert.equal(output[0][0].json.created, false);
		assert.equal(output[0][0].json.id, 'tk_open');
		assert.deepEqual(
			pick(output[0][0].json, QUEUE_KEYS),
			{
				queue: null,
				queue_position: null,
				expected_wait_seconds: null,
				team_open: null,
				opens_at: null,
			},
			'a claimed takeover waits in no queue: the queue fields are there, and null',
		);
	});

	it('asks for queue updates and puts the place in the queue into the item, nested and flat', async () => {
		const queue = {
			team: 'support',
			position: 3,
			waiting: 5,
			expected_wait_seconds: 240,
			open: true,
			opens_at: null,
			offered_to: null,
			offer_expires_at: null,
		};
		baton.on('POST', '/v1/takeovers', (req) => ({
			status: 201,
			body: {
				id: 'tk_q',
				session_id: req.body.session_id,
				mode: 'takeover',
				status: 'requested',
				outcome: null,
				reason: 'user_requested',
				inbox_url: 'x',
				queue,
			},
		}));
		const { output } = await run({
			resource: 'takeover',
			operation: 'request',
			sessionId: 'chat-3',
			mode: 'takeover',
			reason: 'user_requested',
			replyTo: 'url',
			replyWebhookUrl: 'http://127.0.0.1:5678/webhook/baton',
			assignee: 'support',
			history: '[]',
			context: '{}',
			additionalFields: { queueUpdates: true },
		});
		assert.deepEqual(baton.requests[0].body, {
			mode: 'takeover',
			session_id: 'chat-3',
			reply_webhook: 'http://127.0.0.1:5678/webhook/baton',
			reason: 'user_requested',
			assignee: 'support',
			queue_updates: true,
		});
		assert.deepEqual(pick(output[0][0].json, QUEUE_KEYS), {
			queue,
			queue_position: 3,
			expected_wait_seconds: 240,
			team_open: true,
			opens_at: null,
		});
		assert.equal(output[0][0].json.created, true);
	});

	it('reports a closed team with its opening time, and sends an explicit "no queue updates" as false', async () => {
		baton.on('POST', '/v1/takeovers', () => ({
			status: 201,
			body: {
				id: 'tk_closed',
				session_id: 's',
				mode: 'takeover',
				status: 'requested',
				outcome: null,
				reason: 'other',
				inbox_url: 'x',
				queue: {
					team: 'support',
					position: 1,
					waiting: 1,
					expected_wait_seconds: 50400,
					open: false,
					opens_at: '2026-11-26T08:00:00Z',
					offered_to: null,
					offer_expires_at: null,
				},
			},
		}));
		const { output } = await run({
			resource: 'takeover',
			operation: 'request',
			sessionId: 's',
			mode: 'takeover',
			reason: 'other',
			replyTo: 'url',
			replyWebhookUrl: 'http://h/x',
			history: '[]',
			context: '{}',
			additionalFields: { queueUpdates: 'false' },
		});
		assert.equal(baton.requests[0].body.queue_updates, false);
		const item = output[0][0].json;
		assert.equal(item.team_open, false);
		assert.equal(item.opens_at, '2026-11-26T08:00:00Z');
		assert.equal(item.queue_position, 1);
		assert.equal(item.expected_wait_seconds, 50400);
	});

	it('never asks for queue updates for an approval, which waits in no live queue', async () => {
		baton.on('POST', '/v1/takeovers', () => ({
			status: 201,
			body: { id: 'tk_ap', session_id: 's', mode: 'approval', status: 'requested', inbox_url: 'x' },
		}));
		await run({
			resource: 'takeover',
			operation: 'request',
			sessionId: 's',
			mode: 'approval',
			reason: 'other',
			replyTo: 'url',
			replyWebhookUrl: 'http://h/x',
			history: '[]',
			context: '{}',
			proposal: '{"text":"Refund 10 EUR"}',
			decisions: ['approve', 'reject'],
			additionalFields: { queueUpdates: true },
		});
		assert.equal(baton.requests[0].body.mode, 'approval');
		assert.equal('queue_updates' in baton.requests[0].body, false);
	});

	it('refuses malformed history before calling Baton', async () => {
		const base = {
			resource: 'takeover',
			operation: 'request',
			sessionId: 's',
			mode: 'takeover',
			reason: 'other',
			replyTo: 'url',
			replyWebhookUrl: 'http://h/x',
			context: '{}',
			additionalFields: {},
		};
		await assert.rejects(
			run({ ...base, history: '[{"sender":"user"' }),
			/History is not valid JSON/,
		);
		await assert.rejects(
			run({ ...base, history: '{"sender":"user"}' }),
			/History must be a JSON array/,
		);
		await assert.rejects(
			run({ ...base, history: '[{"sender":"user"}]' }),
			/History item 0 needs a "sender" and a "content"/,
		);
		await assert.rejects(
			run({ ...base, history: '[]', replyWebhookUrl: 'ftp://h' }),
			/must be an http\(s\) URL/,
		);
		assert.equal(baton.requests.length, 0);
	});

	it('derives the trigger URL from the resume URL only when n8n uses its standard endpoints', () => {
		assert.equal(
			triggerUrlFromResumeUrl('http://127.0.0.1:5678/webhook-waiting/7', 'baton'),
			'http://127.0.0.1:5678/webhook/baton',
		);
		assert.equal(
			triggerUrlFromResumeUrl('http://127.0.0.1:5678/custom-wait/7', 'baton'),
			undefined,
		);
	});
});

describe('Takeover: get, Session: get/hand back/history, Signal: evaluate', () => {
	it('gets a takeover by encoded id', async () => {
		baton.on('GET', '/v1/takeovers/tk%2F1', () => ({
			body: { id: 'tk/1', status: 'resolved', outcome: 'handed_back' },
		}));
		const { output } = await run({ resource: 'takeover', operation: 'get', takeoverId: ' tk/1 ' });
		assert.equal(output[0][0].json.outcome, 'handed_back');
		assert.equal(output[0][0].json.queue, null);
		assert.equal(output[0][0].json.queue_position, null);
	});

	it('gets a waiting takeover with its place in the queue and the reviewer it is offered to', async () => {
		const queue = {
			team: 'support',
			position: 2,
			waiting: 2,
			expected_wait_seconds: null,
			open: true,
			opens_at: null,
			offered_to: 'alice',
			offer_expires_at: '2026-11-25T10:02:00Z',
		};
		baton.on('GET', '/v1/takeovers/tk_w', () => ({
			body: { id: 'tk_w', status: 'requested', outcome: null, queue },
		}));
		const { output } = await run({ resource: 'takeover', operation: 'get', takeoverId: 'tk_w' });
		assert.deepEqual(pick(output[0][0].json, QUEUE_KEYS), {
			queue,
			queue_position: 2,
			expected_wait_seconds: null,
			team_open: true,
			opens_at: null,
		});
		assert.equal(output[0][0].json.queue.offered_to, 'alice');
	});

	it('gets a session waiting for a closed team: owner human, place in the queue, when the team opens', async () => {
		const queue = {
			team: 'support',
			position: 4,
			waiting: 4,
			expected_wait_seconds: 3900,
			open: false,
			opens_at: '2026-11-26T08:00:00Z',
			offered_to: null,
			offer_expires_at: null,
		};
		baton.on('GET', '/v1/sessions/chat-4', () => ({
			body: {
				...STATE,
				session_id: 'chat-4',
				owner: 'human',
				status: 'human_requested',
				takeover_id: 'tk_4',
				queue,
			},
		}));
		const { output } = await run({ resource: 'session', operation: 'get', sessionId: 'chat-4' });
		const item = output[0][0].json;
		assert.equal(item.human_owns, true);
		assert.deepEqual(pick(item, QUEUE_KEYS), {
			queue,
			queue_position: 4,
			expected_wait_seconds: 3900,
			team_open: false,
			opens_at: '2026-11-26T08:00:00Z',
		});

		baton.on('GET', '/v1/sessions/chat-5', () => ({ body: { ...STATE, session_id: 'chat-5' } }));
		const idle = await run({ resource: 'session', operation: 'get', sessionId: 'chat-5' });
		assert.deepEqual(pick(idle.output[0][0].json, QUEUE_KEYS), {
			queue: null,
			queue_position: null,
			expected_wait_seconds: null,
			team_open: null,
			opens_at: null,
		});
	});

	it('hands back with the summary', async () => {
		baton.on('POST', '/v1/sessions/chat-9/handback', () => ({
			body: { ...STATE, session_id: 'chat-9', status: 'handed_back' },
		}));
		const { output } = await run({
			resource: 'session',
			operation: 'handBack',
			sessionId: 'chat-9',
			summary: 'Refund issued for order 42',
		});
		assert.deepEqual(baton.requests[0].body, { summary: 'Refund issued for order 42' });
		assert.equal(output[0][0].json.status, 'handed_back');
	});

	it('pages through the whole history with after= and builds a transcript', async () => {
		const msg = (seq, sender, content) => ({
			id: `m${seq}`,
			seq,
			sender,
			content,
			at: 't',
			external_id: null,
			tool_calls: null,
			meta: null,
		});
		baton.on('GET', '/v1/sessions/c/messages', (req) =>
			req.query.after === undefined
				? { body: { items: [msg(1, 'user', 'hi'), msg(2, 'ai', 'hello')], next_after: 2 } }
				: { body: { items: [msg(3, 'system', 'Handback: refund issued')], next_after: null } },
		);
		const { output } = await run({
			resource: 'session',
			operation: 'getHistory',
			sessionId: 'c',
			returnAll: true,
			after: 0,
			output: 'single',
		});
		assert.deepEqual(
			baton.requests.map((r) => r.query),
			[{ limit: '500' }, { limit: '500', after: '2' }],
		);
		const item = output[0][0].json;
		assert.equal(item.count, 3);
		assert.equal(item.transcript, 'user: hi\nai: hello\nsystem: Handback: refund issued');

		baton.reset();
		baton.on('GET', '/v1/sessions/c/messages', () => ({
			body: { items: [msg(1, 'user', 'hi')], next_after: 1 },
		}));
		const limited = await run({
			resource: 'session',
			operation: 'getHistory',
			sessionId: 'c',
			returnAll: false,
			limit: 1,
			after: 0,
			output: 'perMessage',
		});
		assert.equal(baton.requests.length, 1);
		assert.deepEqual(baton.requests[0].query, { limit: '1' });
		assert.equal(limited.output[0].length, 1);
		assert.equal(limited.output[0][0].json.content, 'hi');
	});

	it('evaluates signals with the model signals it was given', async () => {
		baton.on('POST', '/v1/signals/evaluate', () => ({
			body: {
				handoff: true,
				reason: 'user_requested',
				rule: 'explicit_request',
				matched: 'a person',
				rules_version: 1,
			},
		}));
		const { output } = await run({
			resource: 'signal',
			operation: 'evaluate',
			text: 'Can I talk to a person?',
			signals: {
				confidence: 0.4,
				retrievedChunks: 0,
				classifierTopic: 'billing',
				classifierScore: 0.8,
				toolUnsure: true,
			},
		});
		assert.deepEqual(baton.requests[0].body, {
			text: 'Can I talk to a person?',
			confidence: 0.4,
			retrieved_chunks: 0,
			tool_unsure: true,
			classifier: { topic: 'billing', score: 0.8 },
		});
		assert.equal(output[0][0].json.handoff, true);
		assert.equal(output[0][0].json.reason, 'user_requested');
	});
});

describe('Team: get routing', () => {
	const ROUTING = {
		team: 'first line',
		policy: 'round_robin',
		offer_timeout_seconds: 120,
		open: false,
		opens_at: '2026-11-26T08:00:00Z',
		closes_at: null,
		business_hours: {
			timezone: 'Europe/Berlin',
			weekly: { thu: [{ open: '09:00', close: '17:30' }] },
			holidays: [],
			off_hours_message: 'We are closed right now. A person will answer from {opens_at}.',
			off_hours_action: 'queue',
		},
		reviewers: [
			{ name: 'alice', display_name: 'Alice', availability: 'online', capacity: 3, load: 1 },
			{ name: 'bob', display_name: 'Bob', availability: 'away', capacity: null, load: 0 },
			{ name: 'dora', display_name: 'Dora', availability: 'online', capacity: null, load: 0 },
		],
		updated_at: '2026-11-20T10:00:00Z',
	};

	it("reads the team's routing from its encoded path and counts who is online", async () => {
		baton.on('GET', '/v1/teams/first%20line/routing', () => ({ body: ROUTING }));
		const { output } = await run({
			resource: 'team',
			operation: 'getRouting',
			team: ' first line ',
		});
		const req = baton.requests[0];
		assert.equal(req.method, 'GET');
		assert.equal(req.rawPath, '/v1/teams/first%20line/routing');
		assert.equal(req.headers.authorization, 'Bearer bk_key');
		assert.deepEqual(output[0][0], {
			json: { ...ROUTING, reviewers_online: 2 },
			pairedItem: { item: 0 },
		});
	});

	it('refuses an empty team name before calling Baton, and passes on a 404 for an unknown team', async () => {
		await assert.rejects(
			run({ resource: 'team', operation: 'getRouting', team: '  ' }),
			/Team is empty/,
		);
		assert.equal(baton.requests.length, 0);
		baton.on('GET', '/v1/teams/nobody/routing', () => ({
			status: 404,
			body: {
				type: '/problems/not-found',
				title: 'Not Found',
				status: 404,
				detail: 'no team nobody',
			},
		}));
		await assert.rejects(
			run({ resource: 'team', operation: 'getRouting', team: 'nobody' }),
			(error) => {
				assert.ok(error instanceof workflow.NodeApiError);
				assert.equal(error.message, 'Not Found: no team nobody');
				assert.equal(error.httpCode, '404');
				return true;
			},
		);
	});
});

describe('Approval', () => {
	const approvalParams = {
		resource: 'approval',
		operation: 'request',
		sessionId: 'order-1234',
		proposal: '{"text":"Refund 40 EUR","amount":40}',
		decisions: ['approve', 'edit', 'reject'],
		reason: 'out_of_scope',
		assignee: 'billing',
		timeout: '30m',
		history: '[]',
		context: '{}',
		additionalFields: {},
	};

	it("with Wait for Decision, sends the signed resume URL as reply webhook and waits past Baton's timeout", async () => {
		baton.on('POST', '/v1/takeovers', () => ({
			status: 201,
			body: {
				id: 'tk_a',
				session_id: 'order-1234',
				mode: 'approval',
				status: 'requested',
				outcome: null,
				reason: 'out_of_scope',
				inbox_url: 'x',
			},
		}));
		const started = Date.now();
		const { output, ctx } = await run({ ...approvalParams, waitForDecision: true });
		assert.deepEqual(baton.requests[0].body, {
			mode: 'approval',
			session_id: 'order-1234',
			reply_webhook: 'http://127.0.0.1:5678/webhook-waiting/42/node-1?signature=test',
			reason: 'out_of_scope',
			assignee: 'billing',
			timeout: '30m',
			proposal: { text: 'Refund 40 EUR', amount: 40 },
			decisions: ['approve', 'edit', 'reject'],
		});
		const waitMs = ctx.calls.waitTill.getTime() - started;
		assert.ok(
			waitMs >= 35 * 60 * 1000 - 1000 && waitMs <= 35 * 60 * 1000 + 5000,
			`waits 30m + 5m grace, got ${waitMs} ms`,
		);
		assert.deepEqual(output, [[{ json: {} }]], 'passes the input on while waiting');
	});

	it('without waiting, sends the decision to the chosen reply webhook', async () => {
		baton.on('POST', '/v1/takeovers', () => ({
			status: 201,
			body: {
				id: 'tk_b',
				session_id: 'order-1234',
				mode: 'approval',
				status: 'requested',
				outcome: null,
				reason: 'other',
				inbox_url: 'x',
			},
		}));
		const { output, ctx } = await run({
			...approvalParams,
			waitForDecision: false,
			replyTo: 'url',
			replyWebhookUrl: 'http://127.0.0.1:5678/webhook/decisions',
		});
		assert.equal(baton.requests[0].body.reply_webhook, 'http://127.0.0.1:5678/webhook/decisions');
		assert.equal(ctx.calls.waitTill, undefined);
		assert.equal(output[0][0].json.created, true);
	});

	it('resumes only on a correctly signed approval.decided', async () => {
		const body = {
			id: 'evt_9',
			type: 'approval.decided',
			occurred_at: 't',
			session_id: 'order-1234',
			takeover_id: 'tk_a',
			reviewer: { name: 'bob', display_name: 'Bob' },
			decision: 'edit',
			edited: { amount: 30 },
			comment: 'partial refund',
		};
		const rawBody = Buffer.from(JSON.stringify(body));
		const ts = String(Math.floor(Date.now() / 1000));
		const good = {
			'webhook-id': 'evt_9',
			'webhook-timestamp': ts,
			'webhook-signature': sign(credentials.signingSecret, 'evt_9', ts, rawBody),
		};
		const ctx = webhookContext({ credentials, params: {}, headers: good, rawBody });
		const result = await node.webhook.call(ctx);
		assert.deepEqual(result.workflowData[0][0].json, {
			event: 'approval.decided',
			event_id: 'evt_9',
			takeover_id: 'tk_a',
			session_id: 'order-1234',
			decided: true,
			decision: 'edit',
			approved: true,
			edited: { amount: 30 },
			comment: 'partial refund',
			reviewer_name: 'bob',
			reviewer_display_name: 'Bob',
			occurred_at: 't',
		});

		const forged = webhookContext({
			credentials,
			params: {},
			headers: { ...good, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') },
			rawBody,
		});
		const refused = await node.webhook.call(forged);
		assert.equal(forged.response.statusCode, 401);
		assert.equal(refused.workflowData, undefined);

		const claimed = Buffer.from(JSON.stringify({ ...body, type: 'takeover.claimed' }));
		const other = webhookContext({
			credentials,
			params: {},
			headers: {
				...good,
				'webhook-signature': sign(credentials.signingSecret, 'evt_9', ts, claimed),
			},
			rawBody: claimed,
		});
		const ignored = await node.webhook.call(other);
		assert.equal(other.response.statusCode, 200);
		assert.equal(ignored.workflowData, undefined, 'a claim notice does not resume the execution');
	});
});

describe('Request options', () => {
	it("always asks for the full response without throwing on HTTP status, so Baton's problem details are kept", () => {
		const options = buildRequestOptions('http://b', {
			method: 'GET',
			path: '/v1/me',
			qs: { a: 1 },
		});
		assert.deepEqual(options, {
			method: 'GET',
			url: 'http://b/v1/me',
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			headers: { Accept: 'application/json' },
			qs: { a: 1 },
		});
	});
});

describe('Node descriptions', () => {
	it('the Baton node can be used as an AI tool and names its operations as actions', () => {
		assert.equal(node.description.usableAsTool, true);
		const ops = node.description.properties
			.filter((p) => p.name === 'operation')
			.flatMap((p) => p.options.map((o) => `${p.displayOptions.show.resource[0]}.${o.value}`));
		assert.deepEqual(ops.sort(), [
			'approval.request',
			'session.get',
			'session.getHistory',
			'session.handBack',
			'session.recordMessage',
			'session.sendAiAnswer',
			'signal.evaluate',
			'takeover.get',
			'takeover.request',
			'team.getRouting',
		]);
	});

	it('offers Queue Updates on a live takeover request only, explained for the workflow builder', () => {
		const collections = node.description.properties.filter((p) => p.name === 'additionalFields');
		const forTakeover = collections.find(
			(p) =>
				p.displayOptions.show.resource[0] === 'takeover' &&
				p.displayOptions.show.operation[0] === 'request',
		);
		const option = forTakeover.options.find((o) => o.name === 'queueUpdates');
		assert.equal(option.displayName, 'Queue Updates');
		assert.equal(option.type, 'boolean');
		assert.equal(option.default, true);
		assert.deepEqual(option.displayOptions.show, { '/mode': ['takeover'] });
		assert.match(option.description, /queue\.updated/);
		assert.match(option.description, /You are number 3, about 4 minutes/);
		const forApproval = collections.find((p) => p.displayOptions.show.resource[0] === 'approval');
		assert.equal(
			forApproval.options.some((o) => o.name === 'queueUpdates'),
			false,
			'an approval holds up nobody: no queue to report',
		);
	});
});
