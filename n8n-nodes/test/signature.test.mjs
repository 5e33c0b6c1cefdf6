import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const {
	sign,
	verifySignature,
	secretKey,
	TIMESTAMP_TOLERANCE_SECONDS,
} = require('../dist/nodes/shared/signature.js');

// The reference vector published with the Standard Webhooks specification.
const VECTOR = {
	secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
	id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
	timestamp: '1614265330',
	body: '{"test": 2432232314}',
	signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const NOW = Number(VECTOR.timestamp);
const headers = (over = {}) => ({
	id: VECTOR.id,
	timestamp: VECTOR.timestamp,
	signature: VECTOR.signature,
	...over,
});

describe('Standard Webhooks signatures', () => {
	it('signs the reference vector exactly', () => {
		assert.equal(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
	});

	it('accepts the reference vector, over a string or the raw bytes', () => {
		assert.deepEqual(verifySignature([VECTOR.secret], headers(), VECTOR.body, NOW), {
			valid: true,
			secretIndex: 0,
		});
		assert.equal(
			verifySignature([VECTOR.secret], headers(), Buffer.from(VECTOR.body), NOW).valid,
			true,
		);
	});

	it('refuses a body changed by a single byte', () => {
		const result = verifySignature([VECTOR.secret], headers(), '{"test": 2432232315}', NOW);
		assert.deepEqual(result, { valid: false, reason: 'signature does not match' });
	});

	it('refuses a re-serialised body (whitespace matters: the raw body must be used)', () => {
		const reserialised = JSON.stringify(JSON.parse(VECTOR.body));
		assert.equal(verifySignature([VECTOR.secret], headers(), reserialised, NOW).valid, false);
	});

	it('refuses another secret, another id and another timestamp', () => {
		assert.equal(
			verifySignature(
				['whsec_' + Buffer.from('other').toString('base64')],
				headers(),
				VECTOR.body,
				NOW,
			).valid,
			false,
		);
		assert.equal(
			verifySignature([VECTOR.secret], headers({ id: 'msg_other' }), VECTOR.body, NOW).valid,
			false,
		);
		assert.equal(
			verifySignature([VECTOR.secret], headers({ timestamp: String(NOW + 1) }), VECTOR.body, NOW)
				.valid,
			false,
		);
	});

	it('enforces the 5 minute timestamp tolerance in both directions', () => {
		assert.equal(TIMESTAMP_TOLERANCE_SECONDS, 300);
		assert.equal(verifySignature([VECTOR.secret], headers(), VECTOR.body, NOW + 300).valid, true);
		assert.equal(verifySignature([VECTOR.secret], headers(), VECTOR.body, NOW - 300).valid, true);
		const late = verifySignature([VECTOR.secret], headers(), VECTOR.body, NOW + 301);
		assert.deepEqual(late, {
			valid: false,
			reason: 'webhook-timestamp is outside the 5 minute tolerance',
		});
		assert.equal(verifySignature([VECTOR.secret], headers(), VECTOR.body, NOW - 301).valid, false);
	});

	it('refuses missing headers and a timestamp that is not unix seconds', () => {
		assert.equal(
			verifySignature([VECTOR.secret], headers({ signature: '' }), VECTOR.body, NOW).valid,
			false,
		);
		assert.equal(
			verifySignature([VECTOR.secret], headers({ id: '' }), VECTOR.body, NOW).valid,
			false,
		);
		const iso = verifySignature(
			[VECTOR.secret],
			headers({ timestamp: '2021-02-26T15:42:10Z' }),
			VECTOR.body,
			NOW,
		);
		assert.deepEqual(iso, {
			valid: false,
			reason: 'webhook-timestamp is not a unix time in seconds',
		});
	});

	it('accepts any one of several signatures (secret rotation) and ignores other versions', () => {
		const rotated = `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${VECTOR.signature}`;
		assert.equal(
			verifySignature([VECTOR.secret], headers({ signature: rotated }), VECTOR.body, NOW).valid,
			true,
		);
		const otherVersion = VECTOR.signature.replace('v1,', 'v2,');
		assert.equal(
			verifySignature([VECTOR.secret], headers({ signature: otherVersion }), VECTOR.body, NOW)
				.valid,
			false,
		);
	});

	it('tells which of several secrets matched, skipping empty ones', () => {
		const result = verifySignature(
			['', 'whsec_' + Buffer.from('x').toString('base64'), VECTOR.secret],
			headers(),
			VECTOR.body,
			NOW,
		);
		assert.deepEqual(result, { valid: true, secretIndex: 2 });
	});

	it('refuses everything when no secret is configured', () => {
		assert.deepEqual(verifySignature(['', '  '], headers(), VECTOR.body, NOW), {
			valid: false,
			reason: 'no signing secret is configured',
		});
	});

	it('decodes the key after the whsec_ prefix', () => {
		assert.deepEqual(secretKey('whsec_aGVsbG8='), Buffer.from('hello'));
		assert.deepEqual(secretKey('aGVsbG8='), Buffer.from('hello'));
	});

	it('signs non-ASCII bodies over their UTF-8 bytes', () => {
		const body = Buffer.from('{"content":"Grüße 👋"}', 'utf8');
		const signature = sign(VECTOR.secret, 'evt_1', String(NOW), body);
		assert.equal(
			verifySignature(
				[VECTOR.secret],
				{ id: 'evt_1', timestamp: String(NOW), signature },
				body,
				NOW,
			).valid,
			true,
		);
		assert.equal(
			verifySignature(
				[VECTOR.secret],
				{ id: 'evt_1', timestamp: String(NOW), signature },
				body.toString('latin1'),
				NOW,
			).valid,
			false,
		);
	});
});
