// The codex files (<Node>.node.json next to each built node) as n8n's loader reads them. Without
// a `resources` object the loader throws, n8n swallows that, and the nodes lose their categories
// and search aliases in the node panel.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * DirectoryLoader.getCodex of n8n-core 2.8.4 (nodes-loader/directory-loader.js), which n8n calls
 * with the node's .js path: it reads `${path}on` and destructures `resources`.
 */
function n8nGetCodex(filePath) {
	const {
		categories,
		subcategories,
		resources: { primaryDocumentation, credentialDocumentation },
		alias,
	} = require(`${filePath}on`);
	return {
		...(categories && { categories }),
		...(subcategories && { subcategories }),
		...(alias && { alias }),
		resources: { primaryDocumentation, credentialDocumentation },
	};
}

/** The top-level categories n8n 2.8.4's own nodes use (n8n-nodes-base codex files). */
const N8N_CATEGORIES = [
	'Analytics',
	'Communication',
	'Core Nodes',
	'Data & Storage',
	'Developer Tools',
	'Development',
	'ECM',
	'Finance & Accounting',
	'HITL',
	'Marketing',
	'Miscellaneous',
	'Productivity',
	'Sales',
	'Utility',
];

describe('codex files', () => {
	for (const file of pkg.n8n.nodes) {
		describe(file, () => {
			const built = join(root, file);
			const exported = Object.values(require(built))[0];
			const description = new exported().description;
			const source = join(root, file.replace(/^dist\//, '').replace(/\.js$/, '.json'));

			it('exists next to the node in the source and in dist/', () => {
				assert.ok(existsSync(source), source);
				assert.ok(existsSync(`${built}on`), `${built}on`);
				assert.deepEqual(
					JSON.parse(readFileSync(`${built}on`, 'utf8')),
					JSON.parse(readFileSync(source, 'utf8')),
				);
			});

			it("names this node and the codex format n8n's own nodes use", () => {
				const codex = JSON.parse(readFileSync(source, 'utf8'));
				assert.equal(codex.node, `${pkg.name}.${description.name}`);
				assert.equal(codex.nodeVersion, '1.0');
				assert.equal(codex.codexVersion, '1.0');
			});

			it("is read by n8n's codex loader with its categories and aliases", () => {
				const codex = n8nGetCodex(built);
				assert.ok(codex.categories.length > 0, 'has categories');
				for (const category of codex.categories)
					assert.ok(N8N_CATEGORIES.includes(category), `${category} is an n8n category`);
				for (const [category, subs] of Object.entries(codex.subcategories ?? {})) {
					assert.ok(codex.categories.includes(category), `subcategory of ${category}`);
					assert.ok(Array.isArray(subs) && subs.length > 0);
				}
				assert.ok(Array.isArray(codex.alias) && codex.alias.length > 0, 'search aliases');
			});

			it('is not in n8n\'s "Human in the Loop" view, which offers only send-and-wait operations', () => {
				// The editor (2.8.4) filters that view's actions to operation "sendAndWait"; the Baton
				// nodes have none, so they would be listed there with nothing to pick.
				const codex = n8nGetCodex(built);
				const operations = description.properties
					.filter((p) => p.name === 'operation')
					.flatMap((p) => p.options.map((o) => o.value));
				if (!operations.includes('sendAndWait')) assert.ok(!codex.categories.includes('HITL'));
			});

			it('links only documentation as n8n expects it: lists of {url} with real http(s) URLs', () => {
				const { resources } = JSON.parse(readFileSync(source, 'utf8'));
				assert.equal(typeof resources, 'object');
				for (const [kind, links] of Object.entries(resources)) {
					assert.ok(Array.isArray(links), kind);
					for (const link of links) {
						assert.match(new URL(link.url).protocol, /^https?:$/);
						assert.doesNotMatch(link.url, /\.invalid\b|\.example\b|baton-project/);
					}
				}
			});
		});
	}
});
