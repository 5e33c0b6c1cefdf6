import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const { Baton } = require('../dist/nodes/Baton/Baton.node.js');
const { BatonTrigger } = require('../dist/nodes/BatonTrigger/BatonTrigger.node.js');
const { BatonHandoff } = require('../dist/nodes/BatonHandoff/BatonHandoff.node.js');

const dir = new URL('../examples/', import.meta.url).pathname;
const examples = readdirSync(dir, { withFileTypes: true })
	.filter((d) => d.isDirectory())
	.map((d) => d.name);
/**
 * The "<name>Tool" variant n8n 2.8.4 derives from a node marked `usableAsTool` (its loader's
 * convertNodeToAiTool): same parameters plus the tool's Description, and `descriptionType` when
 * the node has resources or operations.
 */
function asTool(description) {
	const hasOperations = description.properties.some(
		(p) => p.name === 'resource' || p.name === 'operation',
	);
	const toolDescription = {
		displayName: 'Description',
		name: 'toolDescription',
		type: 'string',
		default: description.description,
		required: true,
		...(hasOperations ? { displayOptions: { show: { descriptionType: ['manual'] } } } : {}),
	};
	const descriptionType = {
		displayName: 'Tool Description',
		name: 'descriptionType',
		type: 'options',
		options: [{ value: 'auto' }, { value: 'manual' }],
		default: 'auto',
	};
	return {
		...description,
		name: `${description.name}Tool`,
		properties: [
			...(hasOperations ? [descriptionType] : []),
			toolDescription,
			...description.properties,
		],
	};
}

const nodes = [
	new Baton().description,
	new BatonTrigger().description,
	new BatonHandoff().description,
];
const descriptions = Object.fromEntries(
	[...nodes, ...nodes.filter((d) => d.usableAsTool).map(asTool)].map((d) => [
		`n8n-nodes-baton.${d.name}`,
		d,
	]),
);

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
	it('there are the Telegram, WhatsApp, web chat, web chat widget, approval and AI Agent examples, each with a README', () => {
		assert.deepEqual(examples.sort(), [
			'ai-agent-handoff',
			'approval',
			'telegram-support-bot',
			'web-chat',
			'web-chat-widget',
			'whatsapp-support',
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
				for (const [from, byType] of Object.entries(workflow.connections)) {
					assert.ok(names.has(from), `connection from unknown node ${from}`);
					for (const [type, outputs] of Object.entries(byType))
						for (const output of outputs)
							for (const link of output) {
								assert.ok(names.has(link.node), `connection to unknown node ${link.node}`);
								assert.equal(link.type, type, `${from} -> ${link.node} keeps its connection type`);
							}
				}
			});

			it("uses only this package's node types, and for the Baton node only its resources and operations", () => {
				for (const node of workflow.nodes.filter((n) => n.type.startsWith('n8n-nodes-baton.'))) {
					assert.ok(descriptions[node.type], `${node.name}: ${node.type} is a node of the package`);
					if (node.type !== 'n8n-nodes-baton.baton' && node.type !== 'n8n-nodes-baton.batonTool')
						continue;
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

	for (const name of ['telegram-support-bot', 'web-chat', 'whatsapp-support']) {
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
	describe('the AI Agent with handoff example', () => {
		const workflow = JSON.parse(readFileSync(`${dir}ai-agent-handoff/workflow.json`, 'utf8'));
		const byName = (name) => workflow.nodes.find((n) => n.name === name);
		const next = (name, output = 0, type = 'main') =>
			(workflow.connections[name]?.[type]?.[output] ?? []).map((link) => link.node);
		const parentOf = (name, type) => next(name, 0, type);
		const agent = workflow.nodes.find((n) => n.type === '@n8n/n8n-nodes-langchain.agent');
		const tool = workflow.nodes.find((n) => n.type === 'n8n-nodes-baton.batonHandoffTool');
		const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-baton.batonTrigger');
		// `.first()`: an agent that called a tool runs again, and `.item` would lose its way back.
		const sessionOfChat = "={{ $('Chat message').first().json.body.session_id }}";

		it('records the customer turn first and asks the agent only while the AI owns the chat', () => {
			assert.deepEqual(next('Chat message'), ['Record customer message']);
			const record = byName('Record customer message');
			assert.equal(record.parameters.sender, 'user');
			assert.equal(
				record.parameters.sessionId,
				"={{ $('Chat message').item.json.body.session_id }}",
			);
			assert.deepEqual(next('Record customer message'), ['Person owns the chat?']);
			assert.deepEqual(next('Person owns the chat?', 0), ['Respond: with a person']);
			assert.deepEqual(next('Person owns the chat?', 1), [agent.name]);
		});

		it("gives the agent a chat model, a memory keyed by the chat's session and the Baton Handoff tool", () => {
			assert.deepEqual(parentOf('OpenAI Chat Model', 'ai_languageModel'), [agent.name]);
			assert.deepEqual(parentOf('Simple Memory', 'ai_memory'), [agent.name]);
			assert.equal(byName('Simple Memory').parameters.sessionKey, sessionOfChat);
			assert.deepEqual(parentOf(tool.name, 'ai_tool'), [agent.name]);
			assert.equal(tool.parameters.sessionId, sessionOfChat);
			assert.match(tool.parameters.reason, /^=\{\{ \$fromAI\('reason'/);
			assert.match(tool.parameters.summary, /^=\{\{ \$fromAI\('summary'/);
			assert.equal(tool.parameters.triggerPath, trigger.parameters.path);
			assert.match(
				agent.parameters.options.systemMessage,
				new RegExp(tool.name.replaceAll(' ', '_')),
			);
		});

		it("sends the agent's answer only when the turn gate took it or this run handed off", () => {
			assert.deepEqual(next(agent.name), ['Record AI answer']);
			const gate = byName('Record AI answer');
			assert.equal(
				`${gate.parameters.resource}.${gate.parameters.operation}`,
				'session.recordMessage',
			);
			assert.equal(gate.parameters.sender, 'ai');
			assert.equal(gate.parameters.sessionId, sessionOfChat);
			assert.deepEqual(next('Record AI answer'), ['Respond: AI answer']);
			const body = byName('Respond: AI answer').parameters.responseBody;
			assert.match(
				body,
				/reply: \$json\.accepted \|\| \$\('Hand off to a person'\)\.isExecuted \? /,
			);
		});

		it("puts the handback's memory messages into a memory keyed by the event's session", () => {
			assert.ok(trigger.parameters.events.includes('session.handed_back'));
			assert.deepEqual(next(trigger.name).sort(), ['Handed back?', 'Push to the chat']);
			assert.deepEqual(next('Handed back?', 0), ['One item per memory message']);
			assert.deepEqual(next('Handed back?', 1), []);
			assert.equal(
				byName('One item per memory message').parameters.fieldToSplitOut,
				'memory_messages',
			);
			assert.deepEqual(next('One item per memory message'), ["Restore the AI's memory"]);
			const manager = byName("Restore the AI's memory");
			assert.equal(manager.parameters.mode, 'insert');
			assert.equal(manager.parameters.insertMode, 'insert');
			assert.deepEqual(manager.parameters.messages.messageValues, [
				{ type: '={{ $json.type }}', message: '={{ $json.message }}' },
			]);
			assert.deepEqual(parentOf('Simple Memory (handback)', 'ai_memory'), [
				"Restore the AI's memory",
			]);
			assert.equal(
				byName('Simple Memory (handback)').parameters.sessionKey,
				`={{ $('${trigger.name}').item.json.session_id }}`,
			);
		});
	});
	describe('the WhatsApp support example', () => {
		const workflow = JSON.parse(readFileSync(`${dir}whatsapp-support/workflow.json`, 'utf8'));
		const byName = (name) => workflow.nodes.find((n) => n.name === name);
		const next = (name, output = 0) =>
			(workflow.connections[name]?.main[output] ?? []).map((link) => link.node);
		const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-baton.batonTrigger');
		const inbound = "$('WhatsApp Trigger').item.json.messages[0]";
		const condition = (name) => byName(name).parameters.conditions.conditions[0];

		it("records every WhatsApp message with the customer's number and WhatsApp's own time", () => {
			const whatsapp = byName('WhatsApp Trigger');
			assert.equal(whatsapp.type, 'n8n-nodes-base.whatsAppTrigger');
			assert.deepEqual(whatsapp.parameters.updates, ['messages']);
			// Delivery receipts (sent, delivered, read) are no customer turns.
			assert.deepEqual(whatsapp.parameters.options.messageStatusUpdates, []);
			assert.deepEqual(next('WhatsApp Trigger'), ['Record customer message']);
			const record = byName('Record customer message');
			assert.equal(record.parameters.sender, 'user');
			assert.equal(record.parameters.sessionId, `={{ ${inbound}.from }}`);
			const fields = record.parameters.additionalFields;
			assert.equal(fields.channel, 'whatsapp');
			assert.equal(fields.channelRef, `={{ ${inbound}.from }}`);
			assert.equal(fields.messageId, `={{ ${inbound}.id }}`);
			// The window counts from when the customer wrote, not when the webhook arrived.
			assert.equal(fields.at, `={{ new Date(${inbound}.timestamp * 1000).toISOString() }}`);
			assert.deepEqual(next('Record customer message'), ['Person owns the chat?']);
			assert.deepEqual(next('Person owns the chat?', 0), ['Reviewer sees it in Baton']);
			assert.deepEqual(next('Person owns the chat?', 1), ['Should a person answer?']);
		});

		it("hands off on the whatsapp channel to the customer's number, replying to its own trigger", () => {
			assert.deepEqual(next('Should a person answer?'), ['Hand off?']);
			assert.deepEqual(next('Hand off?', 0), ['Request takeover']);
			const takeover = byName('Request takeover');
			assert.equal(takeover.parameters.mode, 'takeover');
			assert.equal(takeover.parameters.additionalFields.channel, 'whatsapp');
			assert.equal(takeover.parameters.additionalFields.channelRef, `={{ ${inbound}.from }}`);
			assert.equal(takeover.parameters.replyTo, 'trigger');
			assert.equal(takeover.parameters.triggerPath, trigger.parameters.path);
			assert.deepEqual(next('Request takeover'), ['Team open?']);
			assert.deepEqual(next('Team open?', 0), ['Tell customer a person is coming']);
			assert.deepEqual(next('Hand off?', 1), ['AI (stand-in)']);
			assert.deepEqual(next('AI (stand-in)'), ['Record AI answer']);
			assert.deepEqual(next('Record AI answer'), ["Still the AI's turn?"]);
			assert.deepEqual(next("Still the AI's turn?", 0), ['Send AI answer']);
			assert.deepEqual(next("Still the AI's turn?", 1), []);
		});

		it('its trigger hears only whatsapp events, on a path of its own', () => {
			assert.equal(trigger.parameters.options.channels, 'whatsapp');
			for (const event of ['reply', 'takeover.claimed', 'session.handed_back'])
				assert.ok(trigger.parameters.events.includes(event), event);
			const paths = examples
				.filter((name) => name !== 'whatsapp-support')
				.flatMap((name) =>
					JSON.parse(readFileSync(`${dir}${name}/workflow.json`, 'utf8')).nodes.map(
						(n) => n.parameters.path,
					),
				);
			assert.ok(!paths.includes(trigger.parameters.path), 'no other example listens there');
		});

		it('sends a template reply with Send Template (name, language, body parameters), anything else as text to channel_ref', () => {
			assert.deepEqual(next(trigger.name), ['Anything to send?']);
			assert.deepEqual(next('Anything to send?', 0), ['Template?']);
			assert.deepEqual(next('Anything to send?', 1), []);
			assert.equal(condition('Template?').leftValue, '={{ $json.is_template }}');
			assert.equal(condition('Template?').operator.operation, 'true');
			assert.deepEqual(next('Template?', 0), ['Send template']);
			assert.deepEqual(next('Template?', 1), ['Send to customer']);

			const template = byName('Send template');
			assert.equal(template.type, 'n8n-nodes-base.whatsApp');
			assert.equal(template.parameters.operation, 'sendTemplate');
			assert.equal(template.parameters.recipientPhoneNumber, '={{ $json.channel_ref }}');
			// The WhatsApp node's template option value is "name|language".
			assert.equal(
				template.parameters.template,
				"={{ $json.template_name + '|' + $json.template_language }}",
			);
			const [body] = template.parameters.components.component;
			assert.equal(body.type, 'body');
			assert.deepEqual(
				body.bodyParameters.parameter.map((p) => [p.type, p.text]),
				[
					['text', '={{ $json.template_body_parameters[0] }}'],
					['text', '={{ $json.template_body_parameters[1] }}'],
				],
			);

			const text = byName('Send to customer');
			assert.equal(text.type, 'n8n-nodes-base.whatsApp');
			assert.equal(text.parameters.operation, 'send');
			assert.equal(text.parameters.recipientPhoneNumber, '={{ $json.channel_ref }}');
			assert.equal(text.parameters.textBody, '={{ $json.text }}');
			assert.equal(
				text.parameters.phoneNumberId,
				template.parameters.phoneNumberId,
				'both answer from the same number',
			);
		});

		it('every WhatsApp node uses the WhatsApp credentials', () => {
			for (const node of workflow.nodes.filter((n) => n.type === 'n8n-nodes-base.whatsApp'))
				assert.deepEqual(Object.keys(node.credentials), ['whatsAppApi'], node.name);
			assert.deepEqual(Object.keys(byName('WhatsApp Trigger').credentials), ['whatsAppTriggerApi']);
		});
	});
});
