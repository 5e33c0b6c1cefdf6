// The words around the nodes: the README and the examples' READMEs name only API calls Baton has
// (openapi.json), do not say Baton still lacks one, and each example says what to set.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { SPEC, TARGET } from '../scripts/generate-api-types.mjs';

const root = new URL('../', import.meta.url).pathname;
const examplesDir = join(root, 'examples');
const examples = readdirSync(examplesDir, { withFileTypes: true })
	.filter((d) => d.isDirectory())
	.map((d) => d.name);

function sources(dir) {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sources(path);
		return entry.name.endsWith('.ts') && path !== TARGET ? [path] : [];
	});
}

const documents = [
	join(root, 'README.md'),
	...examples.map((name) => join(examplesDir, name, 'README.md')),
];
const texts = [...documents, ...sources(join(root, 'nodes')), ...sources(join(root, 'credentials'))]
	.filter((path) => existsSync(path))
	.map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }));

describe('documentation', () => {
	const haveSpec = existsSync(SPEC);

	it(
		'every `METHOD /v1/...` the READMEs and sources name is in openapi.json',
		{ skip: !haveSpec },
		() => {
			const paths = JSON.parse(readFileSync(SPEC, 'utf8')).paths;
			// `{id}`, `{team}` or a concrete value such as `support` all match a `{parameter}` segment.
			const routes = Object.entries(paths).flatMap(([path, item]) =>
				Object.keys(item).map((method) => ({
					method: method.toUpperCase(),
					pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
				})),
			);
			const unknown = [];
			let named = 0;
			for (const { path, text } of texts) {
				for (const [, methods, route] of text.matchAll(
					/\b((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/v1\/[A-Za-z0-9_{}/.%-]*[A-Za-z0-9_}])/g,
				)) {
					for (const method of methods.split('/')) {
						named++;
						if (!routes.some((r) => r.method === method && r.pattern.test(route)))
							unknown.push(`${path}: ${method} ${route}`);
					}
				}
			}
			assert.ok(named > 10, `found the API calls the README names (${named})`);
			assert.deepEqual(unknown, []);
		},
	);

	it('nothing says Baton still lacks an endpoint or that the spec is missing one', () => {
		const stale =
			/until Baton has (its|an?)\s|needs a Baton with|not yet in openapi|until the core publishes|API-SKETCH/i;
		const found = texts
			.filter(({ text }) => stale.test(text))
			.map(({ path, text }) => `${path}: "${text.match(stale)[0]}"`);
		assert.deepEqual(found, []);
	});

	for (const name of examples) {
		it(`examples/${name}/README.md has a Setup paragraph naming what to set`, () => {
			const readme = readFileSync(join(examplesDir, name, 'README.md'), 'utf8');
			const setup = readme.split(/\n\s*\n/).find((p) => p.startsWith('**Setup**'));
			assert.ok(setup, 'a paragraph starting with **Setup**');
			const words = setup.replace(/\s+/g, ' ');
			const workflow = JSON.parse(readFileSync(join(examplesDir, name, 'workflow.json'), 'utf8'));
			const credentialNames = {
				batonApi: 'Baton API',
				telegramApi: 'Telegram API',
				openAiApi: 'OpenAI',
				whatsAppApi: 'WhatsApp API',
				whatsAppTriggerApi: 'WhatsApp OAuth API',
			};
			for (const node of workflow.nodes) {
				for (const type of Object.keys(node.credentials ?? {})) {
					assert.ok(credentialNames[type], `a name for credential type ${type}`);
					assert.ok(words.includes(credentialNames[type]), `${credentialNames[type]} credential`);
				}
				const team = node.parameters?.assignee;
				if (typeof team === 'string' && !team.startsWith('='))
					assert.ok(words.includes(`team \`${team}\``), `team ${team} of ${node.name}`);
				const url = node.parameters?.url;
				if (typeof url === 'string' && /^https?:/.test(url))
					assert.ok(words.includes(url), `the URL of ${node.name} (${url})`);
			}
		});
	}
});
