import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { userEnv } from '../scripts/install-packed.mjs';

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

	it("the credential authenticates with a Bearer header and is tested by the nodes' signature check", () => {
		const { BatonApi } = require(`${root}dist/credentials/BatonApi.credentials.js`);
		const credential = new BatonApi();
		assert.equal(credential.name, 'batonApi');
		assert.equal(credential.displayName, 'Baton API');
		assert.deepEqual(credential.authenticate, {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
		});
		// A declarative test would replace the nodes' `testedBy` one (test/credential.test.mjs),
		// which also verifies the Signing Secret.
		assert.equal(credential.test, undefined);
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
			'dist/nodes/BatonHandoff/baton.svg',
			'dist/nodes/BatonTrigger/baton.svg',
			'dist/credentials/baton.svg',
		]) {
			assert.ok(existsSync(`${root}${file}`), file);
		}
	});
});

/** What `npm pack` would put in the tarball (paths relative to the package root). */
function packedFiles() {
	const result = spawnSync('npm', ['pack', '--dry-run', '--json'], {
		cwd: root,
		encoding: 'utf8',
		env: { ...userEnv(), npm_config_ignore_scripts: 'true' },
	});
	assert.equal(result.status, 0, result.stderr);
	return JSON.parse(result.stdout)[0].files.map((f) => f.path);
}

/**
 * Hosts a URL in the package may name: loopback (Baton's and n8n's defaults), the names reserved
 * for examples (RFC 2606), and `baton`, the Compose service name the README uses. A real home page
 * or repository, once Baton has one, is added here on purpose; anything else is invented.
 */
const ALLOWED_HOST = /^(127\.0\.0\.1|localhost|baton|([a-z0-9-]+\.)*example(\.com|\.org)?)$/;

describe('the packed package', () => {
	const files = packedFiles();
	const texts = files
		.filter((f) => !/\.(svg|png|map)$/.test(f))
		.map((f) => ({ path: f, text: readFileSync(join(root, f), 'utf8') }));

	it('ships the examples with their READMEs, and no TypeScript build info', () => {
		for (const name of ['approval', 'telegram-support-bot', 'web-chat']) {
			assert.ok(files.includes(`examples/${name}/workflow.json`), `${name}/workflow.json`);
			assert.ok(files.includes(`examples/${name}/README.md`), `${name}/README.md`);
		}
		assert.deepEqual(
			files.filter((f) => f.endsWith('.tsbuildinfo')),
			[],
		);
		assert.ok(files.includes('README.md') && files.includes('LICENSE.md'));
	});

	it('every relative link in its READMEs points at a file that ships', () => {
		for (const { path, text } of texts.filter((t) => t.path.endsWith('.md'))) {
			for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
				if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
				const file = normalize(join(dirname(path), target.split('#')[0]));
				assert.ok(files.includes(file), `${path} links to ${target}, which is not in the package`);
			}
		}
	});

	it('names no placeholder or invented address: only loopback and example hosts', () => {
		const invented = [];
		for (const { path, text } of texts) {
			for (const [url] of text.matchAll(/https?:\/\/[^\s"'`)<>\]\\]+/g)) {
				if (!ALLOWED_HOST.test(new URL(url).hostname)) invented.push(`${path}: ${url}`);
			}
			// The author e-mail is the one known gap: n8n's strict lint requires one, and no real
			// contact address has been given yet (said in the maintainers' notes).
			const unmarked = path === 'package.json' ? text.replace(pkg.author?.email ?? '', '') : text;
			if (/\.invalid\b|baton-project/.test(unmarked)) invented.push(`${path}: placeholder`);
		}
		assert.deepEqual(invented, []);
		assert.equal(pkg.homepage, undefined, 'no home page until Baton has one');
		assert.equal(pkg.repository, undefined, 'no repository until Baton publishes one');
	});
});
