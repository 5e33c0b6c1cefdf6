// Packs this package with `npm pack` and installs the tarball the way the README tells users to
// install the published package (its "With npm" command, with the tarball in place of the name).
// Used by test/install.test.mjs and e2e/run.mjs, so both follow the README rather than a shortcut.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'n8n-nodes-baton';

/**
 * The command of the README's "With npm" install bullet, as arguments (e.g.
 * `['npm', 'install', 'n8n-nodes-baton']`).
 */
export function documentedInstallCommand(readme = readFileSync(join(root, 'README.md'), 'utf8')) {
	const bullet = /^- \*\*With npm\*\*[\s\S]*?(?=^- \*\*|^\S|^$)/m.exec(readme)?.[0];
	if (!bullet) throw new Error('README.md has no "- **With npm**" install bullet');
	const command = /`(npm (?:install|i) [^`]*)`/.exec(bullet)?.[1];
	if (!command) throw new Error(`the "With npm" bullet names no npm install command:\n${bullet}`);
	const args = command.trim().split(/\s+/);
	if (!args.includes(PACKAGE))
		throw new Error(`the documented command does not install ${PACKAGE}`);
	return args;
}

/**
 * The environment of a user's shell: without the npm_* variables `npm test` / `npm run e2e` set
 * (this package's .npmrc turns install scripts off, and npm_config_local_prefix would point npm
 * back at this folder). Install scripts run, as they do for users.
 */
export function userEnv(env = process.env) {
	const clean = Object.fromEntries(Object.entries(env).filter(([key]) => !/^npm_/i.test(key)));
	return { ...clean, npm_config_ignore_scripts: 'false' };
}

function run(command, args, options) {
	const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, ...options });
	if (result.status !== 0) {
		throw new Error(
			`${[command, ...args].join(' ')} in ${options.cwd} failed (exit ${result.status ?? result.signal}):\n${result.stdout ?? ''}${result.stderr ?? ''}`.slice(
				-6000,
			),
		);
	}
	return result.stdout;
}

/** `npm pack` of the built package into `destination`; returns the tarball's path. */
export function pack(destination) {
	mkdirSync(destination, { recursive: true });
	const out = run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: root });
	const [{ filename }] = JSON.parse(out);
	return join(destination, filename);
}

/**
 * Runs the README's install command in `nodesDir` (an n8n user folder's `.n8n/nodes`, created if
 * missing) with `tarball` in place of the package name, as a user's shell would. Returns the
 * command that ran.
 */
export function installAsDocumented(nodesDir, tarball) {
	mkdirSync(nodesDir, { recursive: true });
	const [command, ...args] = documentedInstallCommand().map((arg) =>
		arg === PACKAGE ? tarball : arg,
	);
	run(command, args, { cwd: nodesDir, env: userEnv() });
	return [command, ...args].join(' ');
}
