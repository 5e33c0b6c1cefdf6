import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const { Baton } = require('../dist/nodes/Baton/Baton.node.js');
const { BatonTrigger } = require('../dist/nodes/BatonTrigger/BatonTrigger.node.js');

const dir = new URL('../examples/', import.meta.url).pathname;
const examples = readdirSync(dir, { withFileTypes: true })
	.filter((d) => d.isDirectory())
	.map((d) => d.name);
const descriptions = {
	'n8n-nodes-baton.baton': new Baton().description,
	'n8n-nodes-baton.batonTrigger': new BatonTrigger().description,
};

/** The parameters n8n would show for these values (displayOptions.show evaluated against them). */
function visibleParameters(description, parameters) {
	return description.properties.filter((property) => {
		const show = property.displayOptions?.show ?? {};
		return Object.entries(show).every(([name, allowed]) => {
			const value =
				parameters[name] ??
				description.properties.find((p) => p.name === name && p.default !== undefined)?.default;
			return allowed.includes(value);
		});
	});
}

describe('example workflows', () => {
	it('there are the Telegram, web chat and approval examples, each with a README', () => {
		assert.deepEqual(examples.sort(), ['approval', 'telegram-support-bot', 'web-chat']);
		for (const name of examples)
			assert.ok(existsSync(`${dir}${name}/README.md`), `${name}/README.md`);
	});

	for (const name of examples) {
		describe(name, () => {
			const workflow = JSON.parse(readFileSync(`${dir}${name}/workflow.json`, 'utf8'));
			const names = new Set(workflow.nodes.map((n) => n.name));

			it('is an importable workflow: unique node names and ids, connections between existing nodes', () => {
				assert.equal(typeof workflow.id, 'string');
				assert.equal(names.size, workflow.nodes.length);
				assert.equal(new Set(workflow.nodes.map((n) => n.id)).size, workflow.nodes.length);
				for (const [from, outputs] of Object.entries(workflow.connections)) {
					assert.ok(names.has(from), `connection from unknown node ${from}`);
					for (const output of outputs.main)
						for (const link of output)
							assert.ok(names.has(link.node), `connection to unknown node ${link.node}`);
				}
			});

			it('sets only parameters and options the Baton nodes define, with valid option values', () => {
				for (const node of workflow.nodes.filter((n) => descriptions[n.type])) {
					const description = descriptions[node.type];
					const visible = visibleParameters(description, node.parameters);
					for (const [key, value] of Object.entries(node.parameters)) {
						const property = visible.find((p) => p.name === key);
						assert.ok(property, `${node.name}: parameter "${key}" is not shown for these settings`);
						if (
							property.type === 'options' &&
							typeof value === 'string' &&
							!value.startsWith('=')
						) {
							assert.ok(
								property.options.some((o) => o.value === value),
								`${node.name}: ${key}=${value} is not an option`,
							);
						}
						if (property.type === 'collection') {
							for (const option of Object.keys(value)) {
								assert.ok(
									property.options.some((o) => o.name === option),
									`${node.name}: ${key}.${option} is not an option`,
								);
							}
						}
					}
					for (const required of visible.filter((p) => p.required)) {
						assert.ok(
							node.parameters[required.name] !== undefined && node.parameters[required.name] !== '',
							`${node.name}: required ${required.name} is set`,
						);
					}
					assert.deepEqual(
						Object.keys(node.credentials ?? {}),
						['batonApi'],
						`${node.name} uses the Baton API credential`,
					);
				}
			});
		});
	}

	it('the Telegram example sends replies to the Baton Trigger path it listens on', () => {
		const workflow = JSON.parse(readFileSync(`${dir}telegram-support-bot/workflow.json`, 'utf8'));
		const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-baton.batonTrigger');
		const takeover = workflow.nodes.find((n) => n.parameters.resource === 'takeover');
		assert.equal(takeover.parameters.replyTo, 'trigger');
		assert.equal(takeover.parameters.triggerPath, trigger.parameters.path);
	});

	for (const name of ['telegram-support-bot', 'web-chat']) {
		it(`the ${name} example asks for queue updates and its trigger passes them and the off-hours message on`, () => {
			const workflow = JSON.parse(readFileSync(`${dir}${name}/workflow.json`, 'utf8'));
			const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-baton.batonTrigger');
			const takeover = workflow.nodes.find((n) => n.parameters.resource === 'takeover');
			assert.equal(takeover.parameters.additionalFields.queueUpdates, true);
			assert.ok(trigger.parameters.events.includes('queue.updated'));
			assert.ok(trigger.parameters.events.includes('takeover.off_hours'));
		});
	}
});
