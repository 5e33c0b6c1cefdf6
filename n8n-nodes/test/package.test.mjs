import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

describe('package', () => {
	it('is an MIT community-node package with zero runtime dependencies and n8n-workflow as only peer', () => {
		assert.equal(pkg.name, 'n8n-nodes-baton');
		assert.equal(pkg.license, 'MIT');
		assert.ok(pkg.keywords.includes('n8n-community-node-package'));
		assert.equal(pkg.dependencies, undefined);
		assert.deepEqual(Object.keys(pkg.peerDependencies), ['n8n-workflow']);
		assert.equal(pkg.n8n.n8nNodesApiVersion, 1);
		assert.equal(pkg.n8n.strict, true);
	});

	it('every node and credential listed in package.json is built and loads', () => {
		for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
			assert.ok(existsSync(`${root}${file}`), `${file} is built`);
			const exported = Object.values(require(`${root}${file}`));
			assert.equal(exported.length, 1, `${file} exports one class`);
		}
	});

	it('the credential authenticates with a Bearer header and is tested with GET /v1/me', () => {
		const { BatonApi } = require(`${root}dist/credentials/BatonApi.credentials.js`);
		const credential = new BatonApi();
		assert.equal(credential.name, 'batonApi');
		assert.equal(credential.displayName, 'Baton API');
		assert.deepEqual(credential.authenticate, {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
		});
		assert.equal(credential.test.request.url, '/v1/me');
		assert.deepEqual(
			credential.properties.map((p) => p.name),
			['baseUrl', 'apiKey', 'signingSecret'],
		);
		assert.ok(
			credential.properties
				.filter((p) => p.name !== 'baseUrl')
				.every((p) => p.typeOptions?.password === true),
		);
	});

	it('icons are shipped next to the built nodes', () => {
		for (const file of [
			'dist/nodes/Baton/baton.svg',
			'dist/nodes/BatonTrigger/baton.svg',
			'dist/credentials/baton.svg',
		]) {
			assert.ok(existsSync(`${root}${file}`), file);
		}
	});
});
