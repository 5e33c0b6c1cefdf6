// Installs the real n8n used by the end-to-end test into a cache folder, once.
// n8n 2.8.4 is the last line that runs on Node 20; its default `xlsx` dependency points at a
// CDN that is not reachable offline, so it is overridden with the same code from the registry.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const N8N_VERSION = '2.8.4';

export function cacheDir() {
	return process.env.BATON_N8N_CACHE || join(homedir(), '.cache', 'baton-n8n');
}

export function n8nBin(dir = cacheDir()) {
	return join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
}

function installedVersion(dir) {
	const pkg = join(dir, 'node_modules', 'n8n', 'package.json');
	if (!existsSync(pkg) || !existsSync(join(dir, '.install-complete'))) return null;
	if (!existsSync(sqliteBinding(dir))) return null;
	return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

/** The native module of n8n's SQLite driver, which n8n needs to start at all. */
function sqliteBinding(dir) {
	return join(dir, 'node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node');
}

/**
 * Builds sqlite3's native module. The install runs without install scripts: this package's
 * .npmrc sets `ignore-scripts` (its own dependencies need none), and `npm run e2e` hands that on
 * to every npm it starts as `npm_config_ignore_scripts`. n8n needs exactly one native module to
 * start, so that one is built by name, with scripts allowed (no prebuilt binary is reachable
 * offline: node-gyp compiles it against the installed Node.js headers, a few minutes).
 */
function ensureSqliteBinding(dir, log) {
	if (existsSync(sqliteBinding(dir))) return;
	log('building the sqlite3 module for n8n...');
	const result = spawnSync('npm', ['rebuild', 'sqlite3', '--loglevel=error'], {
		cwd: dir,
		stdio: 'inherit',
		timeout: 30 * 60 * 1000,
		env: { ...process.env, npm_config_ignore_scripts: 'false' },
	});
	if (result.status !== 0 || !existsSync(sqliteBinding(dir))) {
		throw new Error(`npm rebuild sqlite3 failed (exit ${result.status}); see the output above`);
	}
}

export function ensureN8n({ log = console.log } = {}) {
	const dir = cacheDir();
	if (installedVersion(dir) === N8N_VERSION) {
		log(`n8n ${N8N_VERSION} found in ${dir}`);
		return n8nBin(dir);
	}
	mkdirSync(dir, { recursive: true });
	writeFileSync(
		join(dir, 'package.json'),
		JSON.stringify(
			{
				name: 'baton-e2e-n8n',
				private: true,
				dependencies: { n8n: N8N_VERSION },
				overrides: { xlsx: 'npm:@e965/xlsx@0.20.2' },
			},
			null,
			2,
		),
	);
	log(`installing n8n ${N8N_VERSION} into ${dir} (takes ~5 min the first time)...`);
	const started = Date.now();
	const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: dir,
		stdio: 'inherit',
		timeout: 30 * 60 * 1000,
	});
	if (result.status !== 0) {
		throw new Error(`npm install of n8n failed (exit ${result.status}); see the output above`);
	}
	if (
		installedVersion(dir) === null &&
		!existsSync(join(dir, 'node_modules', 'n8n', 'package.json'))
	) {
		throw new Error('npm install finished but node_modules/n8n is missing');
	}
	ensureSqliteBinding(dir, log);
	writeFileSync(join(dir, '.install-complete'), new Date().toISOString());
	log(`n8n installed in ${Math.round((Date.now() - started) / 1000)} s`);
	return n8nBin(dir);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		ensureN8n();
	} catch (e) {
		console.error(e.message);
		process.exit(1);
	}
}
