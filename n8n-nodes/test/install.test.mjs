// The README's manual install, done for real: `npm pack`, then the documented `npm install`
// command (with the tarball in place of the package name) in an empty n8n nodes folder, with
// install scripts on as in a user's shell, on the Node.js this runs on (the README promises 20).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
	documentedInstallCommand,
	installAsDocumented,
	pack,
	root,
	userEnv,
} from '../scripts/install-packed.mjs';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('manual install as the README documents it', () => {
	let work;
	let nodesDir;
	let installed;
	let command;

	before(() => {
		work = mkdtempSync(join(tmpdir(), 'baton-install-'));
		const tarball = pack(join(work, 'pack'));
		nodesDir = join(work, 'home', '.n8n', 'nodes');
		command = installAsDocumented(nodesDir, tarball);
		installed = join(nodesDir, 'node_modules', pkg.name);
	});
	after(() => rmSync(work, { recursive: true, force: true }));

	it('the README documents a plain `npm install n8n-nodes-baton`', () => {
		assert.deepEqual(documentedInstallCommand().slice(0, 2), ['npm', 'install']);
		assert.match(command, /^npm install \S+\.tgz/);
	});

	it('installs only the package: n8n-workflow is an optional peer that n8n itself provides', () => {
		assert.ok(existsSync(join(installed, 'package.json')), `${installed} exists`);
		const modules = readdirSync(join(nodesDir, 'node_modules')).filter((n) => !n.startsWith('.'));
		assert.deepEqual(modules, [pkg.name], 'no n8n-workflow (whose isolated-vm needs Node 22+)');
		assert.equal(pkg.peerDependencies['n8n-workflow'], '*');
		assert.deepEqual(pkg.peerDependenciesMeta?.['n8n-workflow'], { optional: true });
	});

	it('the installed nodes and credential load when n8n-workflow comes from the host, as in n8n', () => {
		const installedPkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
		const files = [...installedPkg.n8n.nodes, ...installedPkg.n8n.credentials];
		assert.equal(files.length, 4);
		// n8n resolves n8n-workflow for community packages to its own copy; NODE_PATH stands in
		// for that here with the copy this package is developed against.
		const script = `for (const f of ${JSON.stringify(files)}) {
			const exported = Object.values(require(require('path').join(${JSON.stringify(installed)}, f)));
			if (exported.length !== 1) throw new Error(f + ' exports ' + exported.length + ' classes');
			const instance = new exported[0]();
			console.log(instance.description ? instance.description.name : instance.name);
		}`;
		const result = spawnSync(process.execPath, ['-e', script], {
			cwd: work,
			encoding: 'utf8',
			env: { ...userEnv(), NODE_PATH: join(root, 'node_modules') },
		});
		assert.equal(result.status, 0, result.stderr);
		assert.deepEqual(result.stdout.trim().split('\n'), [
			'baton',
			'batonHandoff',
			'batonTrigger',
			'batonApi',
		]);
	});

	it('ships the codex files next to the nodes', () => {
		for (const node of ['Baton/Baton', 'BatonHandoff/BatonHandoff', 'BatonTrigger/BatonTrigger']) {
			assert.ok(existsSync(join(installed, 'dist', 'nodes', `${node}.node.json`)), node);
		}
	});
});
