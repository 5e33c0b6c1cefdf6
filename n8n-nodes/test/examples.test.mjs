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

/** `resource.operation` of every operation the built Baton node offers. */
const batonOperations = descriptions['n8n-nodes-baton.baton'].properties
	.filter((p) => p.name === 'operation')
	.flatMap((p) => p.options.map((o) => `${p.displayOptions.show.resource[0]}.${o.value}`));

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
	it('there are the Telegram, web chat, web chat widget and approval examples, each with a README', () => {
		assert.deepEqual(examples.sort(), [
			'approval',
			'telegram-support-bot',
			'web-chat',
			'web-chat-widget',
		]);
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

			it("uses only this package's node types, and for the Baton node only its resources and operations", () => {
				for (const node of workflow.nodes.filter((n) => n.type.startsWith('n8n-nodes-baton.'))) {
					assert.ok(descriptions[node.type], `${node.name}: ${node.type} is a node of the package`);
					if (node.type !== 'n8n-nodes-baton.baton') continue;
					const { resource, operation } = node.parameters;
					assert.ok(
						batonOperations.includes(`${resource}.${operation}`),
						`${node.name}: ${resource}.${operation} is an operation of the Baton node`,
					);
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

	describe('the web chat widget example', () => {
		const workflow = JSON.parse(readFileSync(`${dir}web-chat-widget/workflow.json`, 'utf8'));
		const byName = (name) => workflow.nodes.find((n) => n.name === name);
		const next = (name, output = 0) =>
			(workflow.connections[name]?.main[output] ?? []).map((link) => link.node);
		const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-baton.batonTrigger');
		const op = (resource, operation) =>
			workflow.nodes.filter(
				(n) =>
					n.type === 'n8n-nodes-baton.baton' &&
					n.parameters.resource === resource &&
					n.parameters.operation === operation,
			);

		it("starts on the widget's customer.message and the takeover's events, web only, answering at once", () => {
			const offered = descriptions['n8n-nodes-baton.batonTrigger'].properties
				.find((p) => p.name === 'events')
				.options.map((o) => o.value);
			assert.ok(trigger.parameters.events.includes('customer.message'));
			for (const event of ['reply', 'takeover.claimed', 'session.handed_back'])
				assert.ok(trigger.parameters.events.includes(event), event);
			for (const event of trigger.parameters.events)
				assert.ok(offered.includes(event), `${event} is offered`);
			assert.equal(trigger.parameters.options.channels, 'web');
			// An AI Agent can outlast Baton's delivery timeout, which would deliver the message again.
			assert.equal(trigger.parameters.respond, 'onReceived');
		});

		it('routes customer.message by event type to the handoff decision and ends the other events', () => {
			const [route] = next(trigger.name);
			const sw = byName(route);
			assert.equal(sw.type, 'n8n-nodes-base.switch');
			const [rule] = sw.parameters.rules.values;
			assert.equal(rule.conditions.conditions[0].leftValue, '={{ $json.event }}');
			assert.equal(rule.conditions.conditions[0].rightValue, 'customer.message');
			assert.deepEqual(next(route, 0), ['Get history']);
			assert.deepEqual(next(route, 1), ['Nothing to do']);
			assert.deepEqual(next('Nothing to do'), []);
			assert.deepEqual(next('Get history'), ['Should a person answer?']);
			const signal = byName('Should a person answer?');
			assert.equal(
				`${signal.parameters.resource}.${signal.parameters.operation}`,
				'signal.evaluate',
			);
			assert.match(signal.parameters.text, /\.content \}\}$/);
			assert.deepEqual(next('Should a person answer?'), ['Hand off?']);
		});

		it('hands off to a person on the web channel, replies to its own trigger, with the history', () => {
			assert.deepEqual(next('Hand off?', 0), ['Request takeover']);
			const [takeover] = op('takeover', 'request');
			assert.equal(takeover.name, 'Request takeover');
			assert.equal(takeover.parameters.mode, 'takeover');
			assert.equal(takeover.parameters.additionalFields.channel, 'web');
			assert.match(takeover.parameters.sessionId, /\.session_id \}\}$/);
			assert.match(takeover.parameters.reason, /\$json\.reason/);
			assert.match(takeover.parameters.history, /\$\('Get history'\)/);
			assert.equal(takeover.parameters.replyTo, 'trigger');
			assert.equal(takeover.parameters.triggerPath, trigger.parameters.path);
		});

		it('otherwise answers with Send AI Answer, ending quietly when a person owns the session', () => {
			assert.deepEqual(next('Hand off?', 1), ['AI (stand-in)']);
			assert.deepEqual(next('AI (stand-in)'), ['Send AI answer']);
			const [send] = op('session', 'sendAiAnswer');
			assert.equal(send.name, 'Send AI answer');
			assert.match(send.parameters.sessionId, /\.session_id \}\}$/);
			assert.equal(send.parameters.text, '={{ $json.text }}');
			assert.equal(send.parameters.onPersonOwns, 'continue');
			assert.match(send.parameters.options.messageId, /event_id/);
			assert.equal(op('session', 'recordMessage').length, 0, 'the widget records the visitor turn');
		});

		it('its README has the one script tag with a widget key', () => {
			const readme = readFileSync(`${dir}web-chat-widget/README.md`, 'utf8');
			assert.match(
				readme,
				/<script src="https:\/\/[^"]+\/widget\.js" data-baton-key="pk_[^"]*" async><\/script>/,
			);
		});
	});
});
