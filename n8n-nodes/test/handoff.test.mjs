// The Baton Handoff node: the AI Agent's tool for handing a conversation to a person. Requests go
// over the network to a fake Baton, as n8n would send them.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFakeBaton } from './helpers/fakeBaton.mjs';
import { executeContext, workflow } from './helpers/contexts.mjs';

const require = createRequire(import.meta.url);
const { BatonHandoff } = require('../dist/nodes/BatonHandoff/BatonHandoff.node.js');
const {
	normalizeReason,
	customerText,
	DEFAULT_CUSTOMER_MESSAGE,
} = require('../dist/nodes/BatonHandoff/handoff.js');

const node = new BatonHandoff();
let baton;
let credentials;

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

/** The parameters as n8n hands them to the node: defaults, overridden by the test's. */
function params(overrides = {}) {
	const defaults = Object.fromEntries(
		node.description.properties.filter((p) => p.type !== 'notice').map((p) => [p.name, p.default]),
	);
	return { ...defaults, ...overrides };
}

async function run(overrides, options = {}) {
	const ctx = executeContext({ credentials, params: params(overrides), ...options });
	return await node.execute.call(ctx);
}

function takeover(req, extra = {}) {
	return {
		id: 'tk_9',
		session_id: req.body.session_id,
		mode: 'takeover',
		status: 'requested',
		outcome: null,
		reason: req.body.reason,
		inbox_url: 'http://baton/inbox/tk_9',
		...extra,
	};
}

describe('Baton Handoff (AI Agent tool)', () => {
	it('is offered to AI Agents as a tool, with the Baton credential and its signature test', () => {
		const d = node.description;
		assert.equal(d.name, 'batonHandoff');
		assert.equal(d.usableAsTool, true);
		assert.deepEqual(d.inputs, [workflow.NodeConnectionTypes.Main]);
		assert.deepEqual(d.outputs, [workflow.NodeConnectionTypes.Main]);
		assert.deepEqual(d.credentials, [
			{ name: 'batonApi', required: true, testedBy: 'batonApiCredentialTest' },
		]);
		assert.equal(typeof node.methods.credentialTest.batonApiCredentialTest, 'function');
		assert.equal(d.defaults.name, 'Hand off to a person');
	});

	it('records a live takeover with the reason and summary the model gave, replying to the Baton Trigger', async () => {
		baton.on('POST', '/v1/takeovers', (req) => ({
			status: 201,
			body: takeover(req, {
				queue: {
					team: 'support',
					position: 2,
					waiting: 2,
					expected_wait_seconds: 150,
					open: true,
					opens_at: null,
					offered_to: null,
					offer_expires_at: null,
				},
			}),
		}));
		const output = await run(
			{
				sessionId: 'web 42/ä',
				reason: 'Out of Scope',
				summary: '  Customer was charged twice for order 1234 and wants a refund.  ',
				triggerPath: 'baton-agent',
				assignee: 'support',
				timeout: '10m',
				context: '{"model":"gpt"}',
				additionalFields: { channel: 'web' },
			},
			{ resumeUrl: 'https://n8n.example.com/webhook-waiting/77' },
		);
		assert.equal(baton.requests.length, 1);
		const req = baton.requests[0];
		assert.equal(req.method, 'POST');
		assert.equal(req.path, '/v1/takeovers');
		assert.equal(req.headers.authorization, 'Bearer bk_key');
		assert.deepEqual(req.body, {
			mode: 'takeover',
			session_id: 'web 42/ä',
			reply_webhook: 'https://n8n.example.com/webhook/baton-agent',
			reason: 'out_of_scope',
			summary: 'Customer was charged twice for order 1234 and wants a refund.',
			assignee: 'support',
			timeout: '10m',
			context: { model: 'gpt' },
			channel: 'web',
		});
		assert.deepEqual(output, [
			[
				{
					json: {
						handed_off: true,
						owner: 'human',
						takeover_id: 'tk_9',
						session_id: 'web 42/ä',
						created: true,
						status: 'requested',
						queue: {
							team: 'support',
							position: 2,
							waiting: 2,
							expected_wait_seconds: 150,
							open: true,
							opens_at: null,
							offered_to: null,
							offer_expires_at: null,
						},
						queue_position: 2,
						expected_wait_seconds: 150,
						team_open: true,
						opens_at: null,
						tell_customer: `${DEFAULT_CUSTOMER_MESSAGE} You are number 2 in the queue, about 3 minutes.`,
						instructions:
							'A person now owns this conversation and answers the customer in this chat. Reply to the customer with tell_customer (in their language) and nothing else; do not try to solve their request yourself.',
					},
					pairedItem: { item: 0 },
				},
			],
		]);
	});

	it('a second call while the takeover is open answers with the same takeover (created: false)', async () => {
		baton.on('POST', '/v1/takeovers', (req) => ({ status: 200, body: takeover(req) }));
		const [[item]] = await run({ sessionId: 's1', customerMessage: 'A colleague is coming.' });
		assert.equal(item.json.created, false);
		assert.equal(item.json.handed_off, true);
		assert.equal(item.json.tell_customer, 'A colleague is coming.');
		assert.equal(baton.requests[0].body.reason, 'user_requested');
		assert.equal('summary' in baton.requests[0].body, false, 'an empty summary is left out');
	});

	it('when the closed team sends the conversation straight back, the agent keeps it and says nothing of a person', async () => {
		baton.on('POST', '/v1/takeovers', (req) => ({
			status: 201,
			body: takeover(req, { status: 'resolved', outcome: 'handed_back' }),
		}));
		const [[item]] = await run({ sessionId: 's1' });
		assert.equal(item.json.handed_off, false);
		assert.equal(item.json.owner, 'ai');
		assert.equal(item.json.tell_customer, null);
		assert.match(item.json.instructions, /Keep helping the customer yourself/);
	});

	it("a Baton refusal is the tool's error, with Baton's words; with Continue on Fail an item saying nothing was handed off", async () => {
		baton.on('POST', '/v1/takeovers', {
			status: 400,
			body: {
				type: '/problems/validation',
				title: 'Invalid request',
				status: 400,
				detail: 'assignee: "nobody" is neither a team nor a reviewer',
				errors: [{ field: 'assignee', message: '"nobody" is neither a team nor a reviewer' }],
			},
		});
		await assert.rejects(
			run({ sessionId: 's1', assignee: 'nobody' }),
			(error) =>
				error instanceof workflow.NodeApiError &&
				error.httpCode === '400' &&
				/neither a team nor a reviewer/.test(error.message),
		);
		const [[item]] = await run({ sessionId: 's1', assignee: 'nobody' }, { continueOnFail: true });
		assert.equal(item.json.handed_off, false);
		assert.equal(item.json.httpCode, '400');
		assert.match(item.json.error, /neither a team nor a reviewer/);
		assert.deepEqual(item.pairedItem, { item: 0 });
	});

	it('refuses an empty session ID before calling Baton', async () => {
		await assert.rejects(run({ sessionId: '  ' }), /Session ID is empty/);
		assert.equal(baton.requests.length, 0);
	});
});

describe('what the tool reads from a model and tells the agent', () => {
	it('reads the reason leniently; anything else is other', () => {
		assert.equal(normalizeReason('user_requested'), 'user_requested');
		assert.equal(normalizeReason('Low Confidence'), 'low_confidence');
		assert.equal(normalizeReason('out-of-scope'), 'out_of_scope');
		assert.equal(normalizeReason('the customer is angry'), 'other');
		assert.equal(normalizeReason(undefined), 'other');
	});

	it('adds the place in the queue, or when a closed team opens', () => {
		const base = { id: 't', session_id: 's', status: 'requested' };
		assert.equal(customerText('', base), DEFAULT_CUSTOMER_MESSAGE);
		assert.equal(
			customerText('Hold on.', {
				...base,
				queue: { position: 1, expected_wait_seconds: 20, open: true },
			}),
			'Hold on. You are number 1 in the queue, about 1 minute.',
		);
		assert.equal(
			customerText('Hold on.', {
				...base,
				queue: { position: 4, expected_wait_seconds: null, open: true },
			}),
			'Hold on. You are number 4 in the queue.',
		);
		assert.equal(
			customerText('Hold on.', {
				...base,
				queue: {
					position: 1,
					expected_wait_seconds: 3600,
					open: false,
					opens_at: '2026-11-26T08:00:00Z',
				},
			}),
			'Hold on. The team is closed right now; a person will answer from 2026-11-26T08:00:00Z.',
		);
	});
});
