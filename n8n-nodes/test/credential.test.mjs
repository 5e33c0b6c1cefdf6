import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFakeBaton } from './helpers/fakeBaton.mjs';

const require = createRequire(import.meta.url);
const {
	batonApiCredentialTest,
	checkSigningSecret,
	CREDENTIAL_TEST,
} = require('../dist/nodes/shared/credentialTest.js');
const { sign } = require('../dist/nodes/shared/signature.js');
const { Baton } = require('../dist/nodes/Baton/Baton.node.js');
const { BatonTrigger } = require('../dist/nodes/BatonTrigger/BatonTrigger.node.js');
const { BatonApi } = require('../dist/credentials/BatonApi.credentials.js');

const KEY_SECRET = 'whsec_' + Buffer.from('the-api-keys-signing-secret-0123').toString('base64');
const OTHER_SECRET = 'whsec_' + Buffer.from('a-different-secret-0123456789abc').toString('base64');

/** What Baton's POST /v1/signature-tests answers: a sample event signed with `secret`. */
function signatureTest(secret, timestamp = Math.floor(Date.now() / 1000)) {
	const id = 'evt_5f0c9e';
	const body = JSON.stringify({ id, type: 'signature.test', api_key: 'n8n' });
	return {
		webhook_id: id,
		webhook_timestamp: String(timestamp),
		webhook_signature: sign(secret, id, String(timestamp), body),
		body,
	};
}

let baton;
before(async () => {
	baton = await startFakeBaton();
});
after(() => baton.close());
beforeEach(() => baton.reset());

async function test(data) {
	return await batonApiCredentialTest.call({}, { id: 'c1', name: 'Baton', type: 'batonApi', data });
}

describe('Baton API credential test', () => {
	it('is the test of both nodes, and the credential has no declarative test that n8n would run instead', () => {
		for (const node of [new Baton(), new BatonTrigger()]) {
			assert.deepEqual(node.description.credentials, [
				{ name: 'batonApi', required: true, testedBy: CREDENTIAL_TEST },
			]);
		}
		for (const node of [new Baton(), new BatonTrigger()]) {
			assert.equal(node.methods.credentialTest[CREDENTIAL_TEST], batonApiCredentialTest);
		}
		assert.equal(new BatonApi().test, undefined);
	});

	it("passes when the Signing Secret verifies Baton's signature, calling Baton with the API key", async () => {
		baton.on('POST', '/v1/signature-tests', () => ({ body: signatureTest(KEY_SECRET) }));
		const result = await test({
			baseUrl: `${baton.url}/`,
			apiKey: 'bk_test',
			signingSecret: KEY_SECRET,
		});
		assert.equal(result.status, 'OK', result.message);
		const call = baton.requests.find((r) => r.path === '/v1/signature-tests');
		assert.equal(call.method, 'POST');
		assert.equal(call.headers.authorization, 'Bearer bk_test');
	});

	it('fails with a sentence naming the Signing Secret when it is blank or another one', async () => {
		baton.on('POST', '/v1/signature-tests', () => ({ body: signatureTest(KEY_SECRET) }));
		const blank = await test({ baseUrl: baton.url, apiKey: 'bk_test', signingSecret: '' });
		assert.equal(blank.status, 'Error');
		assert.match(blank.message, /Signing Secret is empty/);
		assert.match(blank.message, /signing_secret/);
		const wrong = await test({
			baseUrl: baton.url,
			apiKey: 'bk_test',
			signingSecret: OTHER_SECRET,
		});
		assert.equal(wrong.status, 'Error');
		assert.match(wrong.message, /Signing Secret is not this key's/);
	});

	it('fails on a refused API key, a wrong base URL or an unreachable Baton, saying which', async () => {
		baton.on('POST', '/v1/signature-tests', () => ({
			status: 401,
			body: {
				type: '/problems/unauthorized',
				title: 'Unauthorized',
				status: 401,
				detail: 'unknown API key',
			},
		}));
		const refused = await test({
			baseUrl: baton.url,
			apiKey: 'bk_nope',
			signingSecret: KEY_SECRET,
		});
		assert.equal(refused.status, 'Error');
		assert.match(refused.message, /refused the API key \(Unauthorized: unknown API key\)/);
		const wrongBase = await test({
			baseUrl: `${baton.url}/v1`,
			apiKey: 'bk_test',
			signingSecret: KEY_SECRET,
		});
		assert.equal(wrongBase.status, 'Error');
		assert.match(wrongBase.message, /no \/v1\/signature-tests: check the Base URL/);
		const closed = await test({
			baseUrl: 'http://127.0.0.1:9',
			apiKey: 'bk_test',
			signingSecret: KEY_SECRET,
		});
		assert.equal(closed.status, 'Error');
		assert.match(closed.message, /^Cannot reach Baton at http:\/\/127\.0\.0\.1:9/);
	});

	it('names the clocks when they are more than 5 minutes apart', () => {
		const stale = signatureTest(KEY_SECRET, Math.floor(Date.now() / 1000) - 600);
		const result = checkSigningSecret(KEY_SECRET, stale);
		assert.equal(result.status, 'Error');
		assert.match(result.message, /clock/);
	});
});
