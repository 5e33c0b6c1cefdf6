// End-to-end test of n8n-nodes-baton inside a real n8n, against a real Baton.
//
//   npm run e2e        (BATON_BIN, BATON_N8N_CACHE, BATON_E2E_KEEP=1 to keep the work folder)
//
// Installs n8n 2.8.4 into a cache folder once, builds and packs this package and installs the
// tarball into n8n's nodes folder with the README's npm command,
// starts Baton and n8n on loopback with a fake Telegram Bot API, imports the Telegram example
// workflow as shipped, and plays a conversation: customer asks for a person, a reviewer claims and
// replies through Baton's API, hands back with a summary, and the "AI" answers the next message.
// What the fake Telegram received is asserted in order, with the queue update the takeover asked
// for; then, with the team closed, a request for a person gets the team's off-hours message. The
// web chat widget example answers a visitor of Baton's own widget, driven through the visitor API
// as widget.js calls it (start, write, the live event stream): the AI's answer, the takeover's
// notices, Alice's reply and the handback reach the stream, and the AI answers again after it.
// The web chat example runs beside it (its push URL pointed at a local stand-in widget backend),
// and the approval example pauses until a signed decision arrives at its resume URL. The AI Agent
// example runs a real n8n AI Agent against a fake OpenAI-compatible model server: the model calls
// the Baton Handoff tool, a reviewer replies and hands back, and the model's next request carries
// the handback's summary and the person's turns from the agent's memory; an answer that comes back
// after a person took the chat is not sent. The WhatsApp example runs its unchanged WhatsApp
// nodes against a fake Cloud API (fakeWhatsApp.mjs, reached through n8n's HTTPS_PROXY support):
// Meta's webhook subscription, a customer's message through the WhatsApp Trigger, a takeover, a
// reviewer's free text as a text message; a conversation whose 24-hour window has closed gets the
// reviewer's template as a `type: template` message, and free text again once the customer
// answers. Last, n8n restarts and the triggers keep working.
// Ends with "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import {
	cpSync,
	createWriteStream,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from './sign.mjs';
import { startFakeTelegram } from './fakeTelegram.mjs';
import { startFakeOpenAi } from './fakeOpenAi.mjs';
import { startFakeWhatsApp } from './fakeWhatsApp.mjs';
import { cacheDir, ensureN8n } from './install-n8n.mjs';
import { installAsDocumented, pack } from '../scripts/install-packed.mjs';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const started = Date.now();
const CHAT = 777001;
const TG_TOKEN = '123456:fake-telegram-token';
const WORKFLOW_ID = 'BatonTelegramBot1';
const WEB_WORKFLOW_ID = 'BatonWebChat1';
const APPROVAL_WORKFLOW_ID = 'BatonApproval1';
const WIDGET_WORKFLOW_ID = 'BatonWebChatWidget1';
const AGENT_WORKFLOW_ID = 'BatonAiAgent1';
const AGENT_SESSION = 'agent-e2e-1';
const WHATSAPP_WORKFLOW_ID = 'BatonWhatsAppSupport1';
// The sender number the WhatsApp example answers Baton's events from (its documented placeholder).
const WA_PHONE_NUMBER_ID = '100000000000001';
const WA_APP = { appId: '700000000000001', appSecret: 'fake-meta-app-secret' };
const WA_TOKEN = 'fake-whatsapp-access-token';
// Two customers: one writes now, one whose message arrives 25 hours after they wrote it.
const WA_CUSTOMER = '4915100000001';
const WA_LATE_CUSTOMER = '4915100000002';
// What the fake model writes as the handoff tool's summary.
const HANDOFF_SUMMARY = 'Charged twice for order 1234; wants a person to refund the duplicate.';
// The shop page that embeds Baton's widget (only its origin matters: nothing is served there).
const SHOP_ORIGIN = 'http://127.0.0.1:8089';
const WIDGET_PLACEHOLDER = 'http://127.0.0.1:3000/chat/push';
const cleanups = [];
const results = [];
let work;

const log = (...args) =>
	console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(description, probe, timeoutMs = 30_000, intervalMs = 200) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			const value = await probe();
			if (value) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`timed out after ${timeoutMs / 1000}s waiting for ${description}${last ? ` (last error: ${last.message})` : ''}`,
			);
		}
		await sleep(intervalMs);
	}
}

function assert(condition, message) {
	if (!condition) throw new Error(message);
}

async function step(name, fn) {
	const t0 = Date.now();
	try {
		await fn();
		results.push({ name, ok: true });
		log(`ok   ${name} (${Date.now() - t0} ms)`);
	} catch (error) {
		results.push({ name, ok: false, error });
		log(`FAIL ${name}: ${error.message}`);
		throw error;
	}
}

function freePort() {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolvePort(port));
		});
	});
}

function run(command, args, options = {}) {
	const result = spawnSync(command, args, { encoding: 'utf8', timeout: 180_000, ...options });
	if (result.status !== 0) {
		throw new Error(
			`${[command, ...args].join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stdout ?? ''}${result.stderr ?? ''}`.slice(
				0,
				4000,
			),
		);
	}
	return result.stdout;
}

/** Starts a long-running process in its own process group, logging to a file; stopped at the end. */
function startProcess(name, command, args, env) {
	const logFile = join(work, `${name}.log`);
	const out = createWriteStream(logFile);
	const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout.pipe(out);
	child.stderr.pipe(out);
	const proc = { name, child, logFile, exited: false };
	child.on('exit', (code, signal) => {
		proc.exited = true;
		proc.exit = code ?? signal;
	});
	proc.stop = async () => {
		if (proc.exited) return;
		try {
			process.kill(-child.pid, 'SIGTERM');
		} catch {
			return;
		}
		const deadline = Date.now() + 15_000;
		while (!proc.exited && Date.now() < deadline) await sleep(100);
		if (!proc.exited) {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}
	};
	cleanups.push(proc.stop);
	return proc;
}

/** Stands in for a web site's chat backend: records what n8n pushes to the widget. */
function startWidgetBackend() {
	const pushed = [];
	const server = createHttpServer((req, res) => {
		let raw = '';
		req.on('data', (c) => (raw += c));
		req.on('end', () => {
			try {
				pushed.push(JSON.parse(raw));
			} catch {
				pushed.push({ unparsable: raw });
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"ok":true}');
		});
	});
	return new Promise((resolveServer) =>
		server.listen(0, '127.0.0.1', () =>
			resolveServer({
				url: `http://127.0.0.1:${server.address().port}`,
				pushed,
				close: () =>
					new Promise((r) => {
						server.closeAllConnections?.();
						server.close(r);
					}),
			}),
		),
	);
}

/**
 * A visitor's live stream (`GET /widget/v1/stream`), read with fetch streaming as Baton's widget
 * reads it (src/inbox/assets/widget.js): server-sent events split on blank lines, `event:`,
 * `id:` and `data:` fields. Every event is kept in arrival order.
 */
async function openVisitorStream(batonUrl, token, origin, lastEventId) {
	const controller = new AbortController();
	const response = await fetch(`${batonUrl}/widget/v1/stream`, {
		headers: {
			authorization: `Bearer ${token}`,
			origin,
			...(lastEventId ? { 'last-event-id': lastEventId } : {}),
		},
		signal: controller.signal,
	});
	assert(response.status === 200, `the visitor stream answered ${response.status}`);
	assert(
		String(response.headers.get('content-type')).startsWith('text/event-stream'),
		`the visitor stream is text/event-stream: ${response.headers.get('content-type')}`,
	);
	const events = [];
	const stream = { events, ended: false };
	stream.items = () => events.filter((e) => e.event === 'item');
	/** The first item that `matches`, waiting for it. */
	stream.item = (description, matches, timeoutMs = 30_000) =>
		waitFor(description, () => stream.items().find(matches), timeoutMs, 50);
	stream.close = () => controller.abort();
	(async () => {
		const reader = response.body.getReader();
		const decoder = new TextDecoder();
		let buf = '';
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) break;
				buf += decoder.decode(value, { stream: true });
				let cut;
				while ((cut = buf.indexOf('\n\n')) >= 0) {
					const block = buf.slice(0, cut);
					buf = buf.slice(cut + 2);
					let event = 'message';
					let id = null;
					const data = [];
					for (const line of block.split('\n')) {
						const i = line.indexOf(':');
						if (i <= 0) continue;
						const field = line.slice(0, i);
						const v = line.slice(i + 1).replace(/^ /, '');
						if (field === 'event') event = v;
						else if (field === 'data') data.push(v);
						else if (field === 'id') id = v;
					}
					if (data.length > 0) events.push({ event, id, data: JSON.parse(data.join('\n')) });
				}
			}
		} catch {
			// aborted at the end of the test
		}
		stream.ended = true;
	})();
	cleanups.push(async () => stream.close());
	return stream;
}

/** One row of a query on n8n's own SQLite database (with n8n's sqlite3 module), read-only. */
function n8nRow(userFolder, sql, params) {
	const sqlite3 = createRequire(join(cacheDir(), 'node_modules', 'n8n', 'package.json'))('sqlite3');
	return new Promise((resolveRow, reject) => {
		const db = new sqlite3.Database(
			join(userFolder, '.n8n', 'database.sqlite'),
			sqlite3.OPEN_READONLY,
			(openError) => {
				if (openError) return reject(openError);
				// n8n may be writing: wait for its lock instead of failing with SQLITE_BUSY.
				db.configure('busyTimeout', 5000);
				db.get(sql, params, (error, row) => {
					db.close();
					if (error) reject(error);
					else resolveRow(row);
				});
			},
		);
	});
}

/** The latest execution of a workflow. */
function latestExecution(userFolder, workflowId) {
	return n8nRow(
		userFolder,
		'SELECT e.id, e.status, d.data FROM execution_entity e JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? ORDER BY e.id DESC LIMIT 1',
		[workflowId],
	);
}

/** How many executions of a workflow carry `needle` anywhere in their stored data. */
async function executionsMentioning(userFolder, workflowId, needle) {
	const row = await n8nRow(
		userFolder,
		'SELECT count(*) AS n FROM execution_entity e JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? AND instr(d.data, ?) > 0',
		[workflowId, needle],
	);
	return row.n;
}

/**
 * Executions a step made fail on purpose and has checked itself (the forged callback's); they are
 * not counted by the steps that assert "no n8n execution failed".
 */
const expectedFailures = new Set();

/**
 * Error messages of failed n8n executions (from the stored execution data), to explain a failure;
 * the ones in `expectedFailures` left out.
 */
function failedExecutions(userFolder) {
	const sqlite3 = createRequire(join(cacheDir(), 'node_modules', 'n8n', 'package.json'))('sqlite3');
	return new Promise((resolveRows) => {
		const db = new sqlite3.Database(
			join(userFolder, '.n8n', 'database.sqlite'),
			sqlite3.OPEN_READONLY,
			(openError) => {
				if (openError) return resolveRows([]);
				db.all(
					"SELECT e.id, e.workflowId, d.data FROM execution_entity e JOIN execution_data d ON d.executionId = e.id WHERE e.status IN ('error', 'crashed') ORDER BY e.id",
					[],
					(error, rows) => {
						db.close();
						if (error) return resolveRows([]);
						// Execution data is stored "flatted": pick out the readable strings near the error.
						resolveRows(
							rows
								.filter((row) => !expectedFailures.has(row.id))
								.map((row) => {
									const strings = [...row.data.matchAll(/"((?:[^"\\]|\\.){12,300})"/g)].map(
										(m) => m[1],
									);
									const hints = strings.filter(
										(s) =>
											s.includes(' ') &&
											/problem|no such|not found|error|refused|invalid|cannot|failed|denied|unauthori/i.test(
												s,
											) &&
											!s.includes('\\n    at '),
									);
									return `execution ${row.id} of ${row.workflowId}: ${hints.slice(0, 3).join(' | ')}`;
								}),
						);
					},
				);
			},
		);
	});
}

function tail(file, lines = 40) {
	if (!existsSync(file)) return '';
	return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function http(method, url, { token, body, headers = {} } = {}) {
	const response = await fetch(url, {
		method,
		headers: {
			...(body !== undefined ? { 'content-type': 'application/json' } : {}),
			...(token ? { authorization: `Bearer ${token}` } : {}),
			...headers,
		},
		body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
		signal: AbortSignal.timeout(15_000),
	});
	const text = await response.text();
	let json;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: response.status, json, text };
}

async function expectOk(method, url, options, expected = [200, 201, 204]) {
	const response = await http(method, url, options);
	assert(
		expected.includes(response.status),
		`${method} ${url} answered ${response.status}: ${response.text.slice(0, 500)}`,
	);
	return response.json;
}

/** The text of a chat message as OpenAI clients send it (a string or a list of parts). */
function contentText(message) {
	const content = message?.content;
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
	return '';
}

/** The Baton Handoff tool among the tools an agent offers the model ("Hand off to a person"). */
function handoffTool(body) {
	return (body.tools ?? []).find((t) => /^hand_off_to_a_person$/i.test(t.function?.name ?? ''));
}

/** `tell_customer` out of a tool result, however n8n wrapped the node's output. */
function tellCustomer(content) {
	const find = (value) => {
		if (value && typeof value === 'object') {
			if (typeof value.tell_customer === 'string') return value.tell_customer;
			for (const inner of Object.values(value)) {
				const found = find(inner);
				if (found) return found;
			}
		}
		if (typeof value === 'string' && value.includes('tell_customer')) {
			try {
				return find(JSON.parse(value));
			} catch {
				return undefined;
			}
		}
		return undefined;
	};
	return find(content);
}

/** Set by a step to hold the model's answer to one message until it is released. */
let modelHold;

/**
 * The fake model: asked for a person, it calls the handoff tool with a reason and a summary; given
 * the tool's result, it says what the tool told it to; otherwise it echoes the customer.
 */
async function modelAnswer(body) {
	const messages = body.messages ?? [];
	const last = messages[messages.length - 1] ?? {};
	if (last.role === 'tool') {
		return { content: tellCustomer(contentText(last)) ?? 'The handoff tool gave no message.' };
	}
	const text = contentText(last);
	const tool = handoffTool(body);
	if (tool && /\b(person|human)\b/i.test(text)) {
		return {
			toolCall: {
				name: tool.function.name,
				arguments: {
					reason: 'user_requested',
					summary: HANDOFF_SUMMARY,
				},
			},
		};
	}
	if (modelHold && text.includes(modelHold.text)) await modelHold.released;
	return { content: `Model: you said "${text}"` };
}

/**
 * The WhatsApp example against the fake Cloud API: Meta's webhook subscription, a customer's
 * message through the WhatsApp Trigger, a takeover, Alice's free text as a text message and the
 * handback; then a customer whose 24-hour window has closed gets Alice's template as a
 * `type: template` message (free text refused by Baton), and free text again once they answer.
 */
async function whatsappSupport({ whatsapp, api, batonUrl, n8nUrl, userFolder }) {
	const waTriggerUrl = `${n8nUrl}/webhook/baton-whatsapp`;
	const texts = (number) => whatsapp.sentTo(number).filter((m) => m.type === 'text');
	const REPLY = 'Hi, Alice here. Let me look at your order.';
	let alice;

	await step(
		"the WhatsApp example subscribes the Meta app's webhook (answering Meta's challenge) and its Baton Trigger",
		async () => {
			const subscription = await waitFor(
				'the WhatsApp Trigger subscription on the fake Graph API',
				() => whatsapp.subscription?.callback_url?.startsWith(n8nUrl) && whatsapp.subscription,
				60_000,
			);
			assert(
				subscription.object === 'whatsapp_business_account' &&
					JSON.stringify(subscription.fields.map((f) => f.name)) === '["messages"]',
				`subscribed to messages: ${JSON.stringify(subscription)}`,
			);
			const verification = await waitFor('the callback verification', () => whatsapp.verification);
			assert(verification.ok, `n8n answered the hub.challenge: ${JSON.stringify(verification)}`);
			const hook = await waitFor(
				'the Baton Trigger subscription of the WhatsApp example',
				async () => (await api('GET', '/v1/webhooks')).items.find((h) => h.url === waTriggerUrl),
				60_000,
			);
			assert(
				JSON.stringify(hook.channels) === '["whatsapp"]',
				`only WhatsApp events: ${JSON.stringify(hook.channels)}`,
			);
			assert(
				whatsapp.calls.every((c) => c.path.startsWith('/v')),
				'every Graph call went through the proxy to the fake',
			);
		},
	);

	await step(
		'a WhatsApp customer asks for a person: "connecting you" goes out as text, Baton holds a whatsapp takeover to their number',
		async () => {
			const status = await whatsapp.customerSays(
				WA_CUSTOMER,
				'I want to talk to a real person please',
			);
			assert(status === 200, `WhatsApp Trigger answered ${status}`);
			const notice = await waitFor(
				'"connecting you with a person" on WhatsApp',
				() => texts(WA_CUSTOMER).find((m) => m.text.startsWith("I'm connecting you")),
				30_000,
			);
			assert(notice.delivered, 'inside the window: WhatsApp delivers it');
			const session = await api('GET', `/v1/sessions/${WA_CUSTOMER}`);
			assert(session.owner === 'human', `owner is ${session.owner}`);
			assert(session.channel === 'whatsapp', `channel ${session.channel}`);
			const closes = Date.parse(session.reply_window_closes_at);
			assert(
				closes > Date.now() + 23 * 3600_000,
				`the window closes in ~24 h: ${session.reply_window_closes_at}`,
			);
			const takeover = await api('GET', `/v1/takeovers/${session.takeover_id}`);
			assert(
				takeover.reply_webhook === waTriggerUrl,
				`replies go to the example's Baton Trigger: ${takeover.reply_webhook}`,
			);
			assert(session.channel_ref === WA_CUSTOMER, `channel_ref ${session.channel_ref}`);
		},
	);

	await step(
		"Alice's free-text reply and her handback reach the customer as WhatsApp text messages",
		async () => {
			alice = (
				await expectOk('POST', `${batonUrl}/v1/auth/login`, {
					body: { name: 'alice', password: 'secret-pass' },
				})
			).token;
			await expectOk('POST', `${batonUrl}/v1/sessions/${WA_CUSTOMER}/claim`, { token: alice });
			await expectOk('POST', `${batonUrl}/v1/sessions/${WA_CUSTOMER}/replies`, {
				token: alice,
				body: { content: REPLY },
			});
			const reply = await waitFor(
				'the reviewer reply on WhatsApp',
				() => texts(WA_CUSTOMER).find((m) => m.text === `[Alice] ${REPLY}`),
				30_000,
			);
			assert(reply.delivered, 'inside the window: delivered');
			await expectOk('POST', `${batonUrl}/v1/sessions/${WA_CUSTOMER}/handback`, {
				token: alice,
				body: { summary: 'Order found; nothing else needed' },
			});
			await waitFor(
				'the handback text on WhatsApp',
				() => texts(WA_CUSTOMER).find((m) => /handing you back/.test(m.text)),
				30_000,
			);
			assert(
				whatsapp.sentTo(WA_CUSTOMER).every((m) => m.type === 'text'),
				'no template inside the window',
			);
		},
	);

	const TEMPLATE = { name: 'order_update', language: 'en_US' };
	let lateSession;
	await step(
		'a message that arrives 25 hours after the customer wrote it leaves the window closed: Baton refuses free text',
		async () => {
			const wrote = Date.now() - 25 * 3600_000;
			const status = await whatsapp.customerSays(
				WA_LATE_CUSTOMER,
				'I want to talk to a real person please',
				{ at: wrote, name: 'Ana' },
			);
			assert(status === 200, `WhatsApp Trigger answered ${status}`);
			lateSession = await waitFor(
				'the takeover of the late message',
				async () => {
					const s = await api('GET', `/v1/sessions/${WA_LATE_CUSTOMER}`);
					return s.takeover_id ? s : undefined;
				},
				30_000,
			);
			assert(
				Date.parse(lateSession.reply_window_closes_at) < Date.now(),
				`the window closed an hour ago: ${lateSession.reply_window_closes_at}`,
			);
			// WhatsApp accepts the workflow's "connecting you" but does not deliver it (error 131047).
			const notice = await waitFor(
				'"connecting you" sent to the late customer',
				() => texts(WA_LATE_CUSTOMER).find((m) => m.text.startsWith("I'm connecting you")),
				30_000,
			);
			assert(!notice.delivered, 'outside the window WhatsApp does not deliver free text');
			await expectOk('POST', `${batonUrl}/v1/sessions/${WA_LATE_CUSTOMER}/claim`, {
				token: alice,
			});
			const refused = await http('POST', `${batonUrl}/v1/sessions/${WA_LATE_CUSTOMER}/replies`, {
				token: alice,
				body: { content: 'Free text after the window' },
			});
			assert(
				refused.status === 409 && refused.json?.type === '/problems/reply-window-closed',
				`free text refused: ${refused.status} ${refused.text.slice(0, 300)}`,
			);
		},
	);

	await step(
		"Alice's template reaches WhatsApp as a template message with its name, language and parameters",
		async () => {
			const root = (
				await expectOk('POST', `${batonUrl}/v1/auth/login`, {
					body: { name: 'root', password: 'secret-pass' },
				})
			).token;
			await expectOk('POST', `${batonUrl}/v1/whatsapp-templates`, {
				token: root,
				body: {
					team: 'support',
					...TEMPLATE,
					category: 'UTILITY',
					body: 'Hi {{1}}, your order {{2}} has an update. Reply to chat with us.',
				},
			});
			await expectOk('POST', `${batonUrl}/v1/sessions/${WA_LATE_CUSTOMER}/template-replies`, {
				token: alice,
				body: { ...TEMPLATE, parameters: ['Ana', '#123'] },
			});
			const sent = await waitFor(
				'the template on WhatsApp',
				() => whatsapp.sentTo(WA_LATE_CUSTOMER).find((m) => m.type === 'template'),
				30_000,
			);
			assert(sent.delivered, 'WhatsApp delivers a template after the window');
			assert(
				JSON.stringify(sent.template) ===
					JSON.stringify({
						name: 'order_update',
						language: { code: 'en_US' },
						components: [
							{
								type: 'body',
								parameters: [
									{ type: 'text', text: 'Ana' },
									{ type: 'text', text: '#123' },
								],
							},
						],
					}),
				`the template as the Cloud API expects it: ${JSON.stringify(sent.template)}`,
			);
			assert(
				!texts(WA_LATE_CUSTOMER).some((m) => m.text.includes('#123')),
				'the template did not also go out as free text',
			);
			const history = await api('GET', `/v1/sessions/${WA_LATE_CUSTOMER}/messages?limit=500`);
			assert(
				history.items.some(
					(m) => m.sender === 'human:alice' && m.content.includes('Hi Ana, your order #123'),
				),
				`Baton keeps the rendered template in the history: ${JSON.stringify(history.items.map((m) => m.content))}`,
			);
		},
	);

	await step(
		'the customer answers the template: the window opens again and free text reaches them',
		async () => {
			assert(
				(await whatsapp.customerSays(WA_LATE_CUSTOMER, 'Yes, where is it?', { name: 'Ana' })) ===
					200,
				'WhatsApp Trigger accepted the message',
			);
			await waitFor(
				'the window to open again',
				async () =>
					Date.parse(
						(await api('GET', `/v1/sessions/${WA_LATE_CUSTOMER}`)).reply_window_closes_at,
					) >
					Date.now() + 23 * 3600_000,
				30_000,
			);
			assert(
				!texts(WA_LATE_CUSTOMER).some((m) => m.text.startsWith('AI:')),
				'the bot stayed quiet: Alice owns the conversation',
			);
			await expectOk('POST', `${batonUrl}/v1/sessions/${WA_LATE_CUSTOMER}/replies`, {
				token: alice,
				body: { content: 'It is with the courier, arriving tomorrow.' },
			});
			const reply = await waitFor(
				'the free-text reply after the window reopened',
				() =>
					texts(WA_LATE_CUSTOMER).find(
						(m) => m.text === '[Alice] It is with the courier, arriving tomorrow.',
					),
				30_000,
			);
			assert(reply.delivered, 'inside the reopened window: delivered');
			// Meta's status webhooks (failed 131047 for the text outside the window) reached the
			// WhatsApp Trigger and started nothing that failed.
			const failed = await waitFor('the status webhooks', () =>
				whatsapp.statuses.find(
					(st) => st.status === 'failed' && st.recipient_id === WA_LATE_CUSTOMER,
				),
			);
			assert(failed.answered === 200, `n8n answered the status webhook ${failed.answered}`);
			const failures = await failedExecutions(userFolder);
			assert(failures.length === 0, `no n8n execution failed: ${failures.join('; ')}`);
		},
	);
}

async function main() {
	const batonBin = resolve(root, process.env.BATON_BIN ?? '../target/debug/baton');
	if (!existsSync(batonBin)) {
		throw Object.assign(
			new Error(
				`Baton binary not found at ${batonBin}. Build it with \`cargo build\` in the repository root, or point BATON_BIN at it.`,
			),
			{ setup: true },
		);
	}
	const n8nBin = ensureN8n({ log });

	log('building the package');
	run('npm', ['run', 'build', '--silent'], { cwd: root });

	work = mkdtempSync(join(tmpdir(), 'baton-e2e-'));
	log(`work folder ${work}`);

	// --- Baton ---------------------------------------------------------------------------
	const batonEnv = {
		...process.env,
		DATABASE_URL: join(work, 'baton.db'),
		BATON_LOG: process.env.BATON_LOG ?? 'info',
		BATON_RETRY_SCHEDULE: '1s,1s,2s,3s,5s',
	};
	const apiKey = JSON.parse(
		run(batonBin, ['api-key', 'create', '--name', 'e2e'], { env: batonEnv })
			.trim()
			.split('\n')
			.pop(),
	);
	assert(
		typeof apiKey.key === 'string' && String(apiKey.signing_secret).startsWith('whsec_'),
		'baton api-key create printed {key, signing_secret}',
	);
	run(
		batonBin,
		[
			'reviewer',
			'add',
			'--name',
			'alice',
			'--team',
			'support',
			'--password',
			'secret-pass',
			'--display-name',
			'Alice',
		],
		{ env: batonEnv },
	);
	// The approval example assigns to team "billing".
	run(
		batonBin,
		[
			'reviewer',
			'add',
			'--name',
			'bob',
			'--team',
			'billing',
			'--password',
			'secret-pass',
			'--display-name',
			'Bob',
		],
		{ env: batonEnv },
	);
	// Widget keys are an admin's to create.
	run(
		batonBin,
		[
			'reviewer',
			'add',
			'--name',
			'root',
			'--team',
			'admins',
			'--password',
			'secret-pass',
			'--admin',
		],
		{ env: batonEnv },
	);
	const baton = startProcess('baton', batonBin, ['serve'], {
		...batonEnv,
		BATON_BIND: '127.0.0.1:0',
	});
	const batonUrl = await waitFor(
		'Baton to print its address',
		() => {
			const match = /baton listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(tail(baton.logFile, 200));
			if (baton.exited) throw new Error(`baton exited (${baton.exit}):\n${tail(baton.logFile)}`);
			return match?.[1];
		},
		30_000,
	);
	log(`Baton at ${batonUrl}`);

	// --- fake Telegram -------------------------------------------------------------------------
	const telegram = await startFakeTelegram({ token: TG_TOKEN });
	cleanups.push(() => telegram.close());

	// --- fake WhatsApp Cloud API (an HTTPS proxy for graph.facebook.com) ------------------------
	const whatsapp = await startFakeWhatsApp({
		dir: join(work, 'whatsapp-tls'),
		...WA_APP,
		accessToken: WA_TOKEN,
		phoneNumberId: WA_PHONE_NUMBER_ID,
		displayPhoneNumber: '15550001234',
	});
	cleanups.push(() => whatsapp.close());

	// --- fake model server (OpenAI-compatible) --------------------------------------------------
	const model = await startFakeOpenAi({ respond: (body) => modelAnswer(body) });
	cleanups.push(() => model.close());

	// --- n8n -----------------------------------------------------------------------------
	const n8nPort = await freePort();
	const n8nUrl = `http://127.0.0.1:${n8nPort}`;
	const userFolder = join(work, 'n8n');
	// Installed as the README tells users: the packed tarball, with its "With npm" command, in the
	// user folder's .n8n/nodes (install scripts on, as in a user's shell).
	const tarball = pack(join(work, 'pack'));
	const installCommand = installAsDocumented(join(userFolder, '.n8n', 'nodes'), tarball);
	log(`installed the package: ${installCommand}`);
	const n8nEnv = {
		...process.env,
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(n8nPort),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `${n8nUrl}/`,
		N8N_EDITOR_BASE_URL: `${n8nUrl}/`,
		N8N_ENCRYPTION_KEY: 'baton-e2e-encryption-key-0123456789',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		DB_SQLITE_POOL_SIZE: '2',
		NODE_ENV: 'production',
		// n8n's WhatsApp nodes call https://graph.facebook.com; n8n sends HTTPS through this proxy
		// (the fake Cloud API) and trusts its certificate. Everything on loopback goes direct.
		HTTPS_PROXY: whatsapp.proxyUrl,
		NO_PROXY: '127.0.0.1,localhost',
		NODE_EXTRA_CA_CERTS: whatsapp.caFile,
	};
	for (const name of [
		'HTTP_PROXY',
		'http_proxy',
		'https_proxy',
		'ALL_PROXY',
		'all_proxy',
		'no_proxy',
	])
		delete n8nEnv[name];
	const credentials = [
		{
			id: 'baton-credential',
			name: 'Baton account',
			type: 'batonApi',
			data: { baseUrl: batonUrl, apiKey: apiKey.key, signingSecret: apiKey.signing_secret },
		},
		{
			id: 'telegram-credential',
			name: 'Telegram account',
			type: 'telegramApi',
			data: { accessToken: TG_TOKEN, baseUrl: telegram.url },
		},
		{
			id: 'whatsapp-credential',
			name: 'WhatsApp account',
			type: 'whatsAppApi',
			data: { accessToken: WA_TOKEN, businessAccountId: 'waba-e2e' },
		},
		{
			id: 'whatsapp-trigger-credential',
			name: 'WhatsApp OAuth account',
			type: 'whatsAppTriggerApi',
			data: { clientId: WA_APP.appId, clientSecret: WA_APP.appSecret },
		},
		{
			id: 'openai-credential',
			name: 'OpenAI account',
			type: 'openAiApi',
			data: { apiKey: 'sk-e2e-fake-key', url: `${model.url}/v1` },
		},
	];
	writeFileSync(join(work, 'credentials.json'), JSON.stringify(credentials));
	mkdirSync(join(work, 'workflows'));
	// The Telegram example exactly as shipped: only the credentials above are environment-specific.
	cpSync(
		join(root, 'examples', 'telegram-support-bot', 'workflow.json'),
		join(work, 'workflows', 'telegram.json'),
	);
	// The web chat example, with its placeholder push URL pointed at a local stand-in widget backend.
	const widget = await startWidgetBackend();
	cleanups.push(() => widget.close());
	const webChat = readFileSync(join(root, 'examples', 'web-chat', 'workflow.json'), 'utf8');
	assert(
		webChat.includes(WIDGET_PLACEHOLDER),
		'the web chat example pushes to its documented placeholder URL',
	);
	writeFileSync(
		join(work, 'workflows', 'web-chat.json'),
		webChat.replaceAll(WIDGET_PLACEHOLDER, `${widget.url}/chat/push`),
	);
	// The AI Agent example, its push URL pointed at the same stand-in (its pushes carry its session).
	const agentExample = readFileSync(
		join(root, 'examples', 'ai-agent-handoff', 'workflow.json'),
		'utf8',
	);
	assert(
		agentExample.includes(WIDGET_PLACEHOLDER),
		'the AI Agent example pushes to its documented placeholder URL',
	);
	writeFileSync(
		join(work, 'workflows', 'ai-agent.json'),
		agentExample.replaceAll(WIDGET_PLACEHOLDER, `${widget.url}/chat/push`),
	);
	// The widget example exactly as shipped, like the Telegram one.
	cpSync(
		join(root, 'examples', 'web-chat-widget', 'workflow.json'),
		join(work, 'workflows', 'web-chat-widget.json'),
	);
	// The WhatsApp example exactly as shipped: its sender number is the fake's.
	const whatsappExample = readFileSync(
		join(root, 'examples', 'whatsapp-support', 'workflow.json'),
		'utf8',
	);
	assert(
		whatsappExample.includes(`"phoneNumberId": "${WA_PHONE_NUMBER_ID}"`),
		'the WhatsApp example answers from its documented placeholder sender number',
	);
	writeFileSync(join(work, 'workflows', 'whatsapp.json'), whatsappExample);
	log('importing credentials and the six example workflows');
	run(
		process.execPath,
		[n8nBin, 'import:credentials', `--input=${join(work, 'credentials.json')}`],
		{ env: n8nEnv },
	);
	cpSync(
		join(root, 'examples', 'approval', 'workflow.json'),
		join(work, 'workflows', 'approval.json'),
	);
	run(
		process.execPath,
		[n8nBin, 'import:workflow', '--separate', `--input=${join(work, 'workflows')}`],
		{ env: n8nEnv },
	);
	for (const id of [
		WORKFLOW_ID,
		WEB_WORKFLOW_ID,
		APPROVAL_WORKFLOW_ID,
		WIDGET_WORKFLOW_ID,
		AGENT_WORKFLOW_ID,
		WHATSAPP_WORKFLOW_ID,
	]) {
		run(process.execPath, [n8nBin, 'publish:workflow', `--id=${id}`], { env: n8nEnv });
	}

	const startN8n = async (name) => {
		const proc = startProcess(name, process.execPath, [n8nBin, 'start'], n8nEnv);
		// n8n answers /healthz as soon as its server listens, before it activates the published
		// workflows (its start command runs `server.start()`, then `activeWorkflowManager.init()`,
		// then prints "Editor is now accessible"). A callback sent in between meets a 404, and with
		// this run's short retry schedule (12 s in all) a slow machine can use up every attempt.
		await waitFor(
			'n8n to listen and activate its workflows',
			async () => {
				if (proc.exited) throw new Error(`n8n exited (${proc.exit}):\n${tail(proc.logFile)}`);
				return (
					readFileSync(proc.logFile, 'utf8').includes('Editor is now accessible via') &&
					(await http('GET', `${n8nUrl}/healthz`)).status === 200
				);
			},
			240_000,
			500,
		);
		return proc;
	};
	let n8n = await startN8n('n8n');
	log(`n8n at ${n8nUrl}`);

	const api = (method, path, body) =>
		expectOk(method, `${batonUrl}${path}`, { token: apiKey.key, body });
	const sentTo = () => telegram.sent.filter((m) => m.chatId === String(CHAT)).map((m) => m.text);
	const triggerUrl = `${n8nUrl}/webhook/baton`;

	await step(
		'n8n loads the three Baton nodes with their codex, and offers Baton Handoff to AI Agents as a tool',
		async () => {
			// What the editor fetches as /types/nodes.json, written by n8n at start.
			const file = join(userFolder, '.cache', 'n8n', 'public', 'types', 'nodes.json');
			const types = await waitFor('types/nodes.json', () =>
				existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined,
			);
			const folders = {
				'n8n-nodes-baton.baton': 'Baton/Baton.node.json',
				'n8n-nodes-baton.batonHandoff': 'BatonHandoff/BatonHandoff.node.json',
				'n8n-nodes-baton.batonTrigger': 'BatonTrigger/BatonTrigger.node.json',
			};
			for (const [name, codexFile] of Object.entries(folders)) {
				const type = types.find((t) => t.name === name);
				assert(type, `${name} is loaded`);
				const codex = JSON.parse(readFileSync(join(root, 'nodes', codexFile), 'utf8'));
				assert(
					JSON.stringify(type.codex?.categories) === JSON.stringify(codex.categories) &&
						JSON.stringify(type.codex?.alias) === JSON.stringify(codex.alias),
					`${name} codex as n8n reports it: ${JSON.stringify(type.codex)}`,
				);
			}
			const tool = types.find((t) => t.name === 'n8n-nodes-baton.batonHandoffTool');
			assert(
				tool && JSON.stringify(tool.outputs) === '["ai_tool"]',
				`n8n derives the Baton Handoff Tool for AI Agents: ${JSON.stringify(tool && { name: tool.name, outputs: tool.outputs })}`,
			);
		},
	);

	await step(
		'the published workflows register the Telegram webhook and their Baton Trigger subscriptions',
		async () => {
			await waitFor(
				'setWebhook on the fake Telegram',
				() => telegram.webhook?.url?.startsWith(n8nUrl),
				60_000,
			);
			const subscriptions = await waitFor(
				'the Baton Trigger subscriptions of both workflows',
				async () => {
					const list = await api('GET', '/v1/webhooks');
					const urls = list.items.map((hook) => hook.url);
					return urls.includes(triggerUrl) && urls.includes(`${n8nUrl}/webhook/baton-web`)
						? list
						: undefined;
				},
				60_000,
			);
			assert(
				subscriptions.items.filter((hook) => hook.url === triggerUrl).length === 1,
				'one subscription per trigger URL',
			);
			const ours = subscriptions.items.find((hook) => hook.url === triggerUrl);
			assert(
				[...ours.events].sort().join() ===
					'queue.updated,reply,session.handed_back,takeover.claimed,takeover.off_hours,takeover.released,takeover.timed_out,takeover.transferred',
				`subscribed events: ${ours.events}`,
			);
		},
	);

	const widgetTriggerUrl = `${n8nUrl}/webhook/baton-widget`;
	await step(
		"the web chat widget example's Baton Trigger subscribes to customer.message",
		async () => {
			const hook = await waitFor(
				'the Baton Trigger subscription of the widget example',
				async () =>
					(await api('GET', '/v1/webhooks')).items.find((h) => h.url === widgetTriggerUrl),
				60_000,
			);
			assert(
				[...hook.events].sort().join() ===
					'customer.message,queue.updated,reply,session.handed_back,takeover.claimed,takeover.off_hours,takeover.released,takeover.timed_out,takeover.transferred',
				`subscribed events: ${hook.events}`,
			);
		},
	);

	await step(
		'a callback signed with another secret fails a trigger execution with a clear error',
		async () => {
			const body = JSON.stringify({
				id: 'evt_forged',
				type: 'reply',
				occurred_at: new Date().toISOString(),
				session_id: String(CHAT),
				channel_ref: String(CHAT),
				message: { id: 'm', seq: 1, content: 'pay here', prefixed_content: '[Mallory] pay here' },
			});
			const ts = String(Math.floor(Date.now() / 1000));
			const forgedSecret = 'whsec_' + Buffer.from('not-the-real-secret-at-all').toString('base64');
			const response = await http('POST', triggerUrl, {
				body,
				headers: {
					'webhook-id': 'evt_forged',
					'webhook-timestamp': ts,
					'webhook-signature': sign(forgedSecret, 'evt_forged', ts, body),
				},
			});
			// The trigger throws: n8n answers 500 itself and records a failed execution with the
			// trigger's message, where the builder sees it (a wrong Signing Secret is not silent).
			assert(response.status === 500, `expected 500, got ${response.status} ${response.text}`);
			let execution;
			for (let i = 0; i < 40; i++) {
				execution = await latestExecution(userFolder, WORKFLOW_ID);
				if (execution?.status === 'error') break;
				await sleep(250);
			}
			assert(
				execution?.status === 'error' &&
					String(execution.data).includes('Baton callback refused: signature does not match'),
				`a failed execution names the refused signature (latest: ${execution?.status})`,
			);
			expectedFailures.add(execution.id);
			await sleep(500);
			assert(
				!sentTo().some((text) => text.includes('pay here')),
				'the forged reply never reaches the customer',
			);
		},
	);

	let takeoverId;
	await step(
		'the customer asks for a person: the bot says one is coming and Baton holds an open takeover',
		async () => {
			const status = await telegram.customerSays(CHAT, 'I want to talk to a real person please');
			assert(status === 200, `Telegram Trigger answered ${status}`);
			await waitFor(
				'"connecting you with a person" on Telegram',
				() => sentTo().some((t) => t.startsWith("I'm connecting you with a person")),
				30_000,
			);
			const session = await api('GET', `/v1/sessions/${CHAT}`);
			assert(session.owner === 'human', `owner is ${session.owner}`);
			assert(session.status === 'human_requested', `status is ${session.status}`);
			assert(typeof session.takeover_id === 'string', 'the session has an open takeover');
			takeoverId = session.takeover_id;
			const takeover = await api('GET', `/v1/takeovers/${takeoverId}`);
			assert(
				takeover.reply_webhook === triggerUrl,
				`reply_webhook defaults to the Baton Trigger URL, got ${takeover.reply_webhook}`,
			);
			assert(takeover.assignee === 'support', `assignee ${takeover.assignee}`);
			assert(
				!sentTo().some((t) => t.startsWith('AI:')),
				'the AI did not answer a request for a person',
			);
		},
	);

	// The first queue.updated goes out as soon as the takeover is queued; waiting for it before
	// Alice claims keeps this deterministic (a claimed takeover gets no more queue updates).
	const QUEUE_TEXT = 'You are next in the queue';
	await step(
		'with Queue Updates, the waiting customer is told their place in the queue through the Baton Trigger',
		async () => {
			const takeover = await api('GET', `/v1/takeovers/${takeoverId}`);
			assert(
				takeover.queue?.position === 1 && takeover.queue.open === true,
				`the takeover waits first in an open queue: ${JSON.stringify(takeover.queue)}`,
			);
			const text = await waitFor(
				'the queue.updated text on Telegram',
				() => sentTo().find((t) => t.startsWith(QUEUE_TEXT)),
				30_000,
			);
			// No claim has happened yet, so Baton has no wait to estimate: the sentence says so.
			assert(text === `${QUEUE_TEXT}.`, `queue text: ${text}`);
		},
	);

	const REPLY = "Hi, I'm Alice from support. How can I help?";
	let reviewer;
	await step(
		'the reviewer claims and replies in Baton: the customer receives "[Alice] ..." through n8n',
		async () => {
			const login = await expectOk('POST', `${batonUrl}/v1/auth/login`, {
				body: { name: 'alice', password: 'secret-pass' },
			});
			reviewer = login.token;
			await expectOk('POST', `${batonUrl}/v1/sessions/${CHAT}/claim`, { token: reviewer });
			await expectOk('POST', `${batonUrl}/v1/sessions/${CHAT}/replies`, {
				token: reviewer,
				body: { content: REPLY },
			});
			await waitFor(
				'the reviewer reply on Telegram',
				() => sentTo().includes(`[Alice] ${REPLY}`),
				30_000,
			);
		},
	);

	await step(
		'while Alice owns the chat, a customer message is recorded in Baton and the bot stays quiet',
		async () => {
			const before = sentTo().length;
			assert(
				(await telegram.customerSays(CHAT, 'My order 42 never arrived')) === 200,
				'Telegram Trigger accepted the update',
			);
			await waitFor(
				'the customer message in the Baton history',
				async () => {
					const history = await api('GET', `/v1/sessions/${CHAT}/messages?limit=500`);
					return history.items.some(
						(m) => m.sender === 'user' && m.content === 'My order 42 never arrived',
					);
				},
				30_000,
			);
			await sleep(1500);
			assert(
				sentTo().length === before,
				`nothing was sent to the customer, got ${JSON.stringify(sentTo().slice(before))}`,
			);
			const session = await api('GET', `/v1/sessions/${CHAT}`);
			assert(
				session.owner === 'human' && session.status === 'human_active',
				`still Alice's: ${session.owner}/${session.status}`,
			);
		},
	);

	const SUMMARY = 'Refund issued for order 42';
	await step(
		'after the handback with a summary, the AI answers the next message and has the summary in its context',
		async () => {
			const beforeHandback = sentTo().length;
			await expectOk('POST', `${batonUrl}/v1/sessions/${CHAT}/handback`, {
				token: reviewer,
				body: { summary: SUMMARY },
			});
			const session = await api('GET', `/v1/sessions/${CHAT}`);
			assert(session.owner === 'ai', `owner after handback is ${session.owner}`);
			// Let the handback notice (Baton's ready "... is handing you back" text, if it sends one)
			// reach the customer before the next message, so the order asserted below is stable.
			await waitFor('the handback notice', () => sentTo().length > beforeHandback, 10_000).catch(
				() => log('no handback notice arrived; going on'),
			);
			assert(
				(await telegram.customerSays(CHAT, 'Thanks, that is all')) === 200,
				'Telegram Trigger accepted the update',
			);
			const answer = await waitFor(
				'the AI answer on Telegram',
				() => sentTo().find((t) => t.startsWith('AI:')),
				30_000,
			);
			assert(answer.includes(SUMMARY), `the AI saw the handback summary: ${answer}`);
			assert(
				answer.includes('You said "Thanks, that is all"'),
				`the AI answered the new message: ${answer}`,
			);
		},
	);

	await step('the customer saw exactly the expected messages, in order', async () => {
		await sleep(1000);
		const seen = sentTo();
		log('customer transcript:\n' + seen.map((t, i) => `      ${i + 1}. ${t}`).join('\n'));
		const required = [
			(t) => t.startsWith("I'm connecting you with a person"),
			(t) => t === `[Alice] ${REPLY}`,
			(t) => t.startsWith('AI:'),
		];
		const positions = required.map((matches) => seen.findIndex(matches));
		assert(
			positions.every((p) => p >= 0),
			`missing messages: ${JSON.stringify(positions)}`,
		);
		assert(
			positions[0] < positions[1] && positions[1] < positions[2],
			`out of order: ${JSON.stringify(positions)}`,
		);
		assert(
			seen.filter((t) => t === `[Alice] ${REPLY}`).length === 1,
			'the reviewer reply was delivered exactly once',
		);
		assert(seen.filter((t) => t.startsWith('AI:')).length === 1, 'exactly one AI answer');
		assert(
			seen.filter((t) => t.startsWith("I'm connecting you")).length === 1,
			'exactly one handoff notice',
		);
		// The queue update comes from a Baton Trigger execution, the "connecting" notice from the
		// takeover's own: their order is not defined, but both precede Alice's reply.
		const queueAt = seen.findIndex((t) => t.startsWith(QUEUE_TEXT));
		assert(
			seen.filter((t) => t.startsWith(QUEUE_TEXT)).length === 1,
			'exactly one queue update (the place never changed)',
		);
		assert(queueAt < positions[1], `the queue update came before Alice's reply: ${queueAt}`);
		// Anything else can only be Baton's ready-made notices (claimed / handed back), in their place.
		const extras = seen.filter((_, i) => !positions.includes(i) && i !== queueAt);
		assert(extras.length <= 2, `unexpected extra messages: ${JSON.stringify(extras)}`);
		for (const extra of extras) {
			const at = seen.indexOf(extra);
			assert(
				at > positions[0] && at < positions[2],
				`notice "${extra}" arrived between the handoff and the AI answer`,
			);
		}
		const history = await api('GET', `/v1/sessions/${CHAT}/messages?limit=500`);
		const senders = history.items.map((m) => m.sender);
		const seqs = history.items.map((m) => m.seq);
		assert(
			seqs.every((s, i) => i === 0 || s > seqs[i - 1]),
			'Baton history is ordered by seq',
		);
		assert(
			senders.filter((s) => s === 'user').length === 3,
			`three customer turns in Baton: ${senders}`,
		);
		assert(senders.includes('human:alice'), `Alice's reply is in the history: ${senders}`);
		assert(senders[senders.length - 1] === 'ai', `the AI answer is the last turn: ${senders}`);
	});

	await step(
		'each Baton event reached only the workflow whose takeover it was (five workflows, one API key)',
		async () => {
			// Every example workflow runs on the same credential, and four of them have a Baton
			// Trigger; each trigger hears only its own workflow's takeovers (scope own_takeovers).
			const session = `"${CHAT}"`;
			const own = await executionsMentioning(userFolder, WORKFLOW_ID, session);
			assert(own > 0, `the Telegram workflow's executions carry its session ${session}`);
			for (const other of [
				WEB_WORKFLOW_ID,
				APPROVAL_WORKFLOW_ID,
				WIDGET_WORKFLOW_ID,
				AGENT_WORKFLOW_ID,
			]) {
				const n = await executionsMentioning(userFolder, other, session);
				assert(n === 0, `${other} ran ${n} time(s) for the Telegram session ${session}`);
			}
		},
	);

	await step(
		'outside business hours the customer gets the team\'s off-hours message instead of "connecting you"',
		async () => {
			const closedChat = CHAT + 1;
			// Open only for an hour three days from now (UTC): closed at this moment, whatever the time.
			const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][
				(new Date().getUTCDay() + 3) % 7
			];
			await api('PUT', '/v1/teams/support/routing', {
				policy: 'manual',
				business_hours: {
					timezone: 'UTC',
					weekly: { [day]: [{ open: '10:00', close: '11:00' }] },
					off_hours_message: 'We are closed right now. A person will answer from {opens_at}.',
					off_hours_action: 'handback',
				},
			});
			try {
				const routing = await api('GET', '/v1/teams/support/routing');
				assert(
					routing.open === false && typeof routing.opens_at === 'string',
					`support is closed: ${JSON.stringify({ open: routing.open, opens_at: routing.opens_at })}`,
				);
				const to = () =>
					telegram.sent.filter((m) => m.chatId === String(closedChat)).map((m) => m.text);
				assert(
					(await telegram.customerSays(closedChat, 'I want to talk to a real person please')) ===
						200,
					'Telegram Trigger accepted the update',
				);
				const text = await waitFor(
					'the off-hours message on Telegram',
					() => to().find((t) => t.startsWith('We are closed right now.')),
					30_000,
				);
				assert(
					/^We are closed right now\. A person will answer from .+ 10:00 \(UTC\)\.$/.test(text),
					`the message names the opening: ${text}`,
				);
				await sleep(1500);
				assert(
					JSON.stringify(to()) === JSON.stringify([text]),
					`only the off-hours message, no "connecting you": ${JSON.stringify(to())}`,
				);
				const session = await api('GET', `/v1/sessions/${closedChat}`);
				assert(
					session.owner === 'ai' && session.takeover_id === null,
					`with off_hours_action handback the chat is the AI's again: ${session.owner}/${session.takeover_id}`,
				);
				// "Team open?" saw team_open null (the takeover was resolved at once) and took its
				// quiet branch rather than failing the execution.
				const failures = await failedExecutions(userFolder);
				assert(failures.length === 0, `no n8n execution failed: ${failures.join('; ')}`);
			} finally {
				await api('PUT', '/v1/teams/support/routing', { policy: 'manual', business_hours: null });
			}
		},
	);

	// --- Baton's own web chat widget, driven through the visitor API as widget.js calls it ------
	// The example workflow (Baton Trigger on customer.message, Send AI Answer) answers as the AI.
	const visitor = {};
	const visitorSays = (text, clientId) =>
		http('POST', `${batonUrl}/widget/v1/messages`, {
			token: visitor.token,
			body: { text, client_id: clientId },
			headers: { origin: SHOP_ORIGIN },
		});
	const visitorPath = () => `/v1/sessions/${encodeURIComponent(visitor.sessionId)}`;
	const visitorHistory = async () =>
		(await api('GET', `${visitorPath()}/messages?limit=500`)).items;
	const aiItems = () => visitor.stream.items().filter((i) => i.data.from === 'assistant');
	const FIRST_QUESTION = 'Where is my parcel 1234?';
	await step(
		'a visitor writes in the widget: the web chat widget example answers as the AI, live on the stream',
		async () => {
			const admin = await expectOk('POST', `${batonUrl}/v1/auth/login`, {
				body: { name: 'root', password: 'secret-pass' },
			});
			const widget = await expectOk(
				'POST',
				`${batonUrl}/v1/widgets`,
				{
					token: admin.token,
					body: { name: 'Shop', allowed_origins: [SHOP_ORIGIN], team: 'support' },
				},
				[201],
			);
			assert(String(widget.public_key).startsWith('pk_'), `widget key: ${widget.public_key}`);
			visitor.widgetId = widget.id;
			// What the widget reads on a page load, before the visitor opens the chat.
			const look = await http('GET', `${batonUrl}/widget/v1/widgets/${widget.public_key}`, {
				headers: { origin: SHOP_ORIGIN },
			});
			assert(
				look.status === 200 && look.json?.title === 'Chat with us',
				`the widget's look: ${look.status} ${look.text}`,
			);
			const elsewhere = await http('POST', `${batonUrl}/widget/v1/conversations`, {
				body: { key: widget.public_key },
				headers: { origin: 'http://127.0.0.1:9' },
			});
			assert(
				elsewhere.status === 403,
				`a page on another origin cannot start a conversation: ${elsewhere.status}`,
			);
			const started = await expectOk(
				'POST',
				`${batonUrl}/widget/v1/conversations`,
				{ body: { key: widget.public_key }, headers: { origin: SHOP_ORIGIN } },
				[201],
			);
			assert(
				String(started.token).startsWith('vt_') && typeof started.session_id === 'string',
				`conversation: ${JSON.stringify({ ...started, token: undefined })}`,
			);
			visitor.token = started.token;
			visitor.sessionId = started.session_id;
			visitor.stream = await openVisitorStream(batonUrl, visitor.token, SHOP_ORIGIN);
			const sent = await visitorSays(FIRST_QUESTION, 'c1');
			assert(sent.status === 201, `the visitor's message: ${sent.status} ${sent.text}`);
			await visitor.stream.item(
				"the visitor's own message on the stream",
				(i) => i.data.from === 'visitor' && i.data.client_id === 'c1',
			);
			const answer = await visitor.stream.item(
				'the AI answer on the visitor stream',
				(i) => i.data.from === 'assistant',
			);
			assert(
				answer.data.type === 'message' &&
					answer.data.text === `AI: You said "${FIRST_QUESTION}". (Transcript has 1 turns.)`,
				`the example's AI stand-in answered, having read the history: ${JSON.stringify(answer.data)}`,
			);
			const history = await visitorHistory();
			assert(
				JSON.stringify(history.map((m) => [m.sender, m.content])) ===
					JSON.stringify([
						['user', FIRST_QUESTION],
						['ai', answer.data.text],
					]),
				`Baton holds the visitor's turn and the AI's: ${JSON.stringify(history)}`,
			);
			const session = await api('GET', visitorPath());
			assert(
				session.channel === 'web' && session.owner === 'ai',
				`a web session the AI owns: ${session.channel}/${session.owner}`,
			);
		},
	);

	const HANDOFF_TEXT = 'I want to talk to a human';
	await step(
		'the visitor asks for a person: the example requests a web takeover and the stream says one is coming',
		async () => {
			const sent = await visitorSays(HANDOFF_TEXT, 'c2');
			assert(sent.status === 201, `the visitor's message: ${sent.status} ${sent.text}`);
			const notice = await visitor.stream.item(
				'the takeover.requested notice on the visitor stream',
				(i) => i.data.type === 'notice' && i.data.kind === 'takeover.requested',
			);
			assert(
				notice.data.text ===
					'Connecting you with a person. Stay here: they will answer in this chat.',
				`notice: ${JSON.stringify(notice.data)}`,
			);
			const session = await api('GET', visitorPath());
			assert(
				session.owner === 'human' &&
					session.status === 'human_requested' &&
					session.channel === 'web' &&
					typeof session.takeover_id === 'string',
				`a person owns the web session with an open takeover: ${JSON.stringify(session)}`,
			);
			const takeover = await api('GET', `/v1/takeovers/${session.takeover_id}`);
			assert(
				takeover.mode === 'takeover' &&
					takeover.status === 'requested' &&
					takeover.assignee === 'support' &&
					takeover.reply_webhook === widgetTriggerUrl,
				`takeover: ${JSON.stringify({ ...takeover, context: undefined })}`,
			);
			assert(aiItems().length === 1, 'the AI did not answer the request for a person');
			// The example hands Baton the history it read: Baton holds those turns once.
			const senders = (await visitorHistory()).map((m) => m.sender);
			assert(
				JSON.stringify(senders) === JSON.stringify(['user', 'ai', 'user']),
				`no turn imported twice: ${senders}`,
			);
		},
	);

	const ALICE_WIDGET_REPLY = "Hi, I'm Alice. Parcel 1234 left the depot today.";
	let alice;
	await step(
		'Alice claims and replies: "Alice joined the conversation" and her reply reach the stream; the AI stays quiet',
		async () => {
			alice = (
				await expectOk('POST', `${batonUrl}/v1/auth/login`, {
					body: { name: 'alice', password: 'secret-pass' },
				})
			).token;
			await expectOk('POST', `${batonUrl}${visitorPath()}/claim`, { token: alice });
			const joined = await visitor.stream.item(
				'"Alice joined" on the visitor stream',
				(i) => i.data.type === 'notice' && i.data.kind === 'takeover.claimed',
			);
			assert(
				joined.data.text === 'Alice joined the conversation' && joined.data.name === 'Alice',
				`notice: ${JSON.stringify(joined.data)}`,
			);
			await expectOk('POST', `${batonUrl}${visitorPath()}/typing`, { token: alice }, [202]);
			const typing = await waitFor(
				'the typing event on the visitor stream',
				() => visitor.stream.events.find((e) => e.event === 'typing'),
				10_000,
				50,
			);
			assert(typing.data.name === 'Alice', `typing: ${JSON.stringify(typing.data)}`);
			await expectOk('POST', `${batonUrl}${visitorPath()}/replies`, {
				token: alice,
				body: { content: ALICE_WIDGET_REPLY },
			});
			const reply = await visitor.stream.item(
				"Alice's reply on the visitor stream",
				(i) => i.data.from === 'agent',
			);
			assert(
				reply.data.text === ALICE_WIDGET_REPLY && reply.data.name === 'Alice',
				`reply: ${JSON.stringify(reply.data)}`,
			);
			const sent = await visitorSays('Thank you, I will wait here', 'c3');
			assert(sent.status === 201, `the visitor's message: ${sent.status} ${sent.text}`);
			await visitor.stream.item(
				"the visitor's message to Alice on the stream",
				(i) => i.data.from === 'visitor' && i.data.client_id === 'c3',
			);
			await sleep(1500);
			assert(
				aiItems().length === 1,
				`no AI answer while Alice holds it: ${JSON.stringify(aiItems())}`,
			);
			const history = await visitorHistory();
			assert(
				history.filter((m) => m.sender === 'ai').length === 1 &&
					history.some((m) => m.sender === 'human:alice' && m.content === ALICE_WIDGET_REPLY) &&
					history[history.length - 1].content === 'Thank you, I will wait here',
				`history: ${JSON.stringify(history.map((m) => [m.sender, m.content]))}`,
			);
			// Only the messages written while the AI had the turn went to the workflow.
			const toWorkflow = await waitFor(
				'the customer.message deliveries to be done',
				async () => {
					const deliveries = await api(
						'GET',
						`/v1/deliveries?session_id=${encodeURIComponent(visitor.sessionId)}&limit=500`,
					);
					const items = deliveries.items.filter((d) => d.event_type === 'customer.message');
					return items.every((d) => d.status === 'delivered') ? items : undefined;
				},
				10_000,
			);
			assert(
				toWorkflow.length === 2 && toWorkflow.every((d) => d.url === widgetTriggerUrl),
				`customer.message went to the widget workflow for c1 and c2 only: ${JSON.stringify(toWorkflow.map((d) => [d.url, d.payload?.message?.content]))}`,
			);
		},
	);

	const WIDGET_SUMMARY = 'Parcel 1234 is on its way';
	await step(
		'Alice hands back with a summary: the notice reaches the stream and the AI answers the next message',
		async () => {
			await expectOk('POST', `${batonUrl}${visitorPath()}/handback`, {
				token: alice,
				body: { summary: WIDGET_SUMMARY },
			});
			const back = await visitor.stream.item(
				'the handback notice on the visitor stream',
				(i) => i.data.type === 'notice' && i.data.kind === 'session.handed_back',
			);
			assert(
				back.data.text === 'Alice is handing you back to the assistant',
				`notice: ${JSON.stringify(back.data)}`,
			);
			const session = await api('GET', visitorPath());
			assert(session.owner === 'ai', `owner after the handback: ${session.owner}`);
			const sent = await visitorSays('Thanks! One more question.', 'c4');
			assert(sent.status === 201, `the visitor's message: ${sent.status} ${sent.text}`);
			const again = await visitor.stream.item(
				'the AI answer after the handback',
				(i) => i.data.from === 'assistant' && i !== aiItems()[0],
			);
			assert(
				again.data.text.startsWith('AI: You said "Thanks! One more question."'),
				`the AI answered the new message: ${JSON.stringify(again.data)}`,
			);
			const history = await visitorHistory();
			assert(
				history[history.length - 1].sender === 'ai' &&
					history[history.length - 1].content === again.data.text &&
					history.some((m) => m.content.includes(WIDGET_SUMMARY)),
				`history: ${JSON.stringify(history.map((m) => [m.sender, m.content]))}`,
			);
			// The live stream showed each item once, and a page load (a fresh stream) reads the
			// same conversation in the same order.
			const live = visitor.stream.items().map((i) => `${i.id} ${i.data.type} ${i.data.text}`);
			assert(
				new Set(visitor.stream.items().map((i) => i.id)).size === live.length,
				`every item once: ${JSON.stringify(live)}`,
			);
			const fresh = await openVisitorStream(batonUrl, visitor.token, SHOP_ORIGIN);
			await waitFor(
				'the whole conversation on a fresh stream',
				() => fresh.items().length >= live.length,
				10_000,
				50,
			);
			await sleep(300);
			const reloaded = fresh.items().map((i) => `${i.id} ${i.data.type} ${i.data.text}`);
			assert(
				JSON.stringify(reloaded) === JSON.stringify(live),
				`a page load shows what the live stream showed:\n${live.join('\n')}\n---\n${reloaded.join('\n')}`,
			);
			log('visitor transcript:\n' + live.map((t, i) => `      ${i + 1}. ${t}`).join('\n'));
			visitor.lastId = visitor.stream.items().at(-1).id;
			fresh.close();
			visitor.stream.close();
			const failures = await failedExecutions(userFolder);
			assert(failures.length === 0, `no n8n execution failed: ${failures.join('; ')}`);
		},
	);

	// The web chat example's trigger takes every `web` event, so the widget conversation's
	// replies and notices reach its relay too (its README says not to publish both): its
	// assertions look at its own session.
	const webSessions = ['web-e2e-1', visitor.sessionId];
	const webChatPushes = () => widget.pushed.filter((p) => p.session_id === 'web-e2e-1');
	const chat = (text, id) =>
		expectOk(
			'POST',
			`${n8nUrl}/webhook/chat`,
			{ body: { session_id: 'web-e2e-1', text, message_id: id } },
			[200],
		);
	await step(
		'the web chat example answers with the AI, then hands off when asked for a person',
		async () => {
			const first = await chat('Hello there', 'w1');
			assert(
				first?.owner === 'ai' &&
					typeof first.reply === 'string' &&
					first.reply.startsWith('AI: You said "Hello there"'),
				`AI answer: ${JSON.stringify(first)}`,
			);
			const second = await chat('Can I talk to a human?', 'w2');
			assert(
				second?.owner === 'human' &&
					String(second.reply).startsWith("I'm connecting you with a person") &&
					second.queue_position === 1,
				`handoff answer: ${JSON.stringify(second)}`,
			);
			const third = await chat('Hello? Anyone?', 'w3');
			assert(
				third?.owner === 'human' && third.reply === null,
				`quiet while a person owns the chat: ${JSON.stringify(third)}`,
			);
			// Before anyone claims (a claimed takeover gets no more queue updates).
			const update = await waitFor(
				'the queue update pushed to the widget',
				() => webChatPushes().find((p) => p.event === 'queue.updated'),
				30_000,
			);
			assert(
				update.session_id === 'web-e2e-1' &&
					update.position === 1 &&
					String(update.text).startsWith('You are next in the queue'),
				`pushed: ${JSON.stringify(update)}`,
			);
		},
	);

	await step(
		'a reviewer reply in the web chat reaches the widget backend only, not Telegram',
		async () => {
			const telegramBefore = telegram.sent.length;
			await expectOk('POST', `${batonUrl}/v1/sessions/web-e2e-1/claim`, { token: reviewer });
			await expectOk('POST', `${batonUrl}/v1/sessions/web-e2e-1/replies`, {
				token: reviewer,
				body: { content: 'Hello from Alice' },
			});
			const push = await waitFor(
				'the reply pushed to the widget',
				() => webChatPushes().find((p) => p.event === 'reply'),
				30_000,
			);
			assert(
				push.session_id === 'web-e2e-1' &&
					push.text === '[Alice] Hello from Alice' &&
					push.from === 'Alice',
				`pushed: ${JSON.stringify(push)}`,
			);
			await sleep(1000);
			assert(
				webChatPushes().filter((p) => p.event === 'reply').length === 1,
				`the reply was pushed once: ${JSON.stringify(widget.pushed)}`,
			);
			assert(
				telegram.sent.length === telegramBefore,
				`nothing went to Telegram: ${JSON.stringify(telegram.sent.slice(telegramBefore))}`,
			);
			assert(
				widget.pushed.every((p) => webSessions.includes(p.session_id)),
				`the widget only got web sessions: ${JSON.stringify(widget.pushed)}`,
			);
		},
	);

	await step(
		'the approval example waits for the decision and resumes only on a correctly signed one',
		async () => {
			await expectOk(
				'POST',
				`${n8nUrl}/webhook/refund-request`,
				{ body: { customer_id: 'cust-9', order_id: 'A-1001', amount: 40 } },
				[200],
			);
			// An approval pauses nobody, so it is found in the billing reviewer's queue.
			const bobLogin = await expectOk('POST', `${batonUrl}/v1/auth/login`, {
				body: { name: 'bob', password: 'secret-pass' },
			});
			const bobToken = bobLogin.token;
			const queued = await waitFor(
				'the approval takeover in Baton',
				async () => {
					const inbox = await http('GET', `${batonUrl}/v1/inbox?view=waiting`, { token: bobToken });
					return inbox.status === 200
						? inbox.json.items.find((item) => item.session.session_id === 'cust-9')
						: undefined;
				},
				30_000,
			);
			const session = { takeover_id: queued.takeover.id };
			const takeover = await api('GET', `/v1/takeovers/${session.takeover_id}`);
			assert(takeover.mode === 'approval', `mode ${takeover.mode}`);
			assert(
				takeover.proposal?.amount === 40 && takeover.assignee === 'billing',
				`proposal ${JSON.stringify(takeover.proposal)}`,
			);
			assert(
				takeover.reply_webhook.startsWith(`${n8nUrl}/webhook-waiting/`),
				`reply webhook is n8n's resume URL: ${takeover.reply_webhook}`,
			);
			// The workflow asked Baton before its Wait node parked it: n8n may write the
			// execution's 'waiting' status a moment after the takeover exists.
			await waitFor(
				'the approval execution to wait for the decision',
				async () =>
					(await latestExecution(userFolder, APPROVAL_WORKFLOW_ID))?.status === 'waiting' ||
					undefined,
				10_000,
			);
			// A forged decision (wrong secret) sent straight to the resume URL must not resume it.
			const event = {
				id: `evt_${randomUUID()}`,
				type: 'approval.decided',
				occurred_at: new Date().toISOString(),
				session_id: 'cust-9',
				channel: null,
				channel_ref: 'cust-9',
				takeover_id: takeover.id,
				reviewer: { name: 'mallory', display_name: 'Mallory' },
				decision: 'approve',
				comment: 'forged',
			};
			const body = JSON.stringify(event);
			const ts = String(Math.floor(Date.now() / 1000));
			const forged = await http('POST', takeover.reply_webhook, {
				body,
				headers: {
					'webhook-id': event.id,
					'webhook-timestamp': ts,
					'webhook-signature': sign(
						'whsec_' + Buffer.from('wrong').toString('base64'),
						event.id,
						ts,
						body,
					),
				},
			});
			assert(
				forged.status === 401,
				`a forged decision is refused: ${forged.status} ${forged.text}`,
			);
			assert(
				(await latestExecution(userFolder, APPROVAL_WORKFLOW_ID))?.status === 'waiting',
				'still waiting after the forged decision',
			);
			// Bob decides in Baton; Baton delivers the signed approval.decided to the resume URL.
			const decided = await http('POST', `${batonUrl}/v1/takeovers/${takeover.id}/decision`, {
				token: bobToken,
				body: JSON.stringify({
					decision: 'edit',
					edited: { amount: 30 },
					comment: 'Partial refund',
				}),
				headers: { 'content-type': 'application/json' },
			});
			assert(decided.status === 200, `the decision is accepted: ${decided.status} ${decided.text}`);
			const done = await waitFor(
				'the approval execution to finish',
				async () => {
					const row = await latestExecution(userFolder, APPROVAL_WORKFLOW_ID);
					return row && row.status !== 'waiting' && row.status !== 'running' && row.status !== 'new'
						? row
						: undefined;
				},
				30_000,
			);
			assert(done.status === 'success', `execution ${done.id} ended ${done.status}`);
			assert(
				done.data.includes('Issue refund (stand-in)') && !done.data.includes('Explain the refusal'),
				'the approved branch ran',
			);
			assert(
				done.data.includes('Partial refund') && done.data.includes('Bob'),
				'the decision reached the workflow',
			);
		},
	);

	// --- the AI Agent example: the model hands off, the handback restores its memory ---------------
	const agentChat = (text, id) =>
		expectOk(
			'POST',
			`${n8nUrl}/webhook/agent-chat`,
			{ body: { session_id: AGENT_SESSION, text, message_id: id } },
			[200],
		);
	const agentPushes = () => widget.pushed.filter((p) => p.session_id === AGENT_SESSION);
	const agentHistory = async () =>
		(await api('GET', `/v1/sessions/${AGENT_SESSION}/messages?limit=200`)).items.map((m) => [
			m.sender,
			m.content,
		]);
	const ALICE_AGENT_REPLY = 'I have refunded the second charge of order 1234.';
	const HANDBACK_SUMMARY = 'Refunded the duplicate charge on order 1234; nothing else is open.';

	await step(
		'the AI Agent example answers through the model, offered the Baton Handoff tool; the turn gate records both turns',
		async () => {
			const before = model.requests.length;
			const answer = await agentChat('Hi, where is my parcel?', 'a1');
			assert(
				answer?.owner === 'ai' && answer.reply === 'Model: you said "Hi, where is my parcel?"',
				`AI answer: ${JSON.stringify(answer)}`,
			);
			assert(model.requests.length === before + 1, 'one model request');
			const tool = handoffTool(model.requests[before]);
			assert(
				tool,
				`the model is offered the handoff tool: ${JSON.stringify(model.requests[before].tools)}`,
			);
			const properties = Object.keys(tool.function.parameters?.properties ?? {}).sort();
			assert(
				JSON.stringify(properties) === '["reason","summary"]',
				`the model fills reason and summary ($fromAI): ${JSON.stringify(tool.function.parameters)}`,
			);
			const history = await agentHistory();
			assert(
				JSON.stringify(history) ===
					JSON.stringify([
						['user', 'Hi, where is my parcel?'],
						['ai', 'Model: you said "Hi, where is my parcel?"'],
					]),
				`history: ${JSON.stringify(history)}`,
			);
		},
	);

	await step(
		'the model calls Hand off to a person: Baton holds its takeover and the customer gets what the tool told the agent',
		async () => {
			const before = model.requests.length;
			const answer = await agentChat('I was charged twice. I want to talk to a person.', 'a2');
			assert(
				answer?.owner === 'human' &&
					answer.handed_off === true &&
					String(answer.reply).startsWith(
						'Connecting you with a person. Stay here: they will answer in this chat.',
					) &&
					String(answer.reply).includes('You are number 1 in the queue'),
				`handoff answer: ${JSON.stringify(answer)}`,
			);
			assert(model.requests.length === before + 2, 'the tool call and the answer after it');
			const toolMessages = model.requests[before + 1].messages.filter((m) => m.role === 'tool');
			assert(
				toolMessages.length === 1 && contentText(toolMessages[0]).includes('"handed_off":true'),
				`the tool's answer reached the model: ${JSON.stringify(toolMessages)}`,
			);
			const session = await api('GET', `/v1/sessions/${AGENT_SESSION}`);
			assert(
				session.owner === 'human' && session.status === 'human_requested',
				`a person owns the session: ${JSON.stringify(session)}`,
			);
			const takeover = await api('GET', `/v1/takeovers/${session.takeover_id}`);
			assert(
				takeover.reason === 'user_requested' &&
					takeover.summary === HANDOFF_SUMMARY &&
					takeover.assignee === 'support' &&
					takeover.reply_webhook === `${n8nUrl}/webhook/baton-agent`,
				`takeover: ${JSON.stringify({ ...takeover, context: undefined })}`,
			);
		},
	);

	await step(
		'while a person owns the chat the agent is not asked and nothing is sent',
		async () => {
			const before = model.requests.length;
			const answer = await agentChat('Hello? Anyone there?', 'a3');
			assert(
				answer?.owner === 'human' && answer.reply === null,
				`quiet while a person owns the chat: ${JSON.stringify(answer)}`,
			);
			await sleep(500);
			assert(model.requests.length === before, 'the model was not asked');
		},
	);

	await step(
		"Alice replies and hands back: the handback's memory messages go into the agent's memory",
		async () => {
			await expectOk('POST', `${batonUrl}/v1/sessions/${AGENT_SESSION}/claim`, { token: reviewer });
			await expectOk('POST', `${batonUrl}/v1/sessions/${AGENT_SESSION}/replies`, {
				token: reviewer,
				body: { content: ALICE_AGENT_REPLY },
			});
			await waitFor(
				"Alice's reply pushed to the chat",
				() =>
					agentPushes().find(
						(p) => p.event === 'reply' && p.text === `[Alice] ${ALICE_AGENT_REPLY}`,
					),
				30_000,
			);
			const thanks = await agentChat('Thank you!', 'a4');
			assert(thanks?.reply === null, `quiet while Alice has it: ${JSON.stringify(thanks)}`);
			await expectOk('POST', `${batonUrl}/v1/sessions/${AGENT_SESSION}/handback`, {
				token: reviewer,
				body: { summary: HANDBACK_SUMMARY },
			});
			const done = await waitFor(
				'the handback execution to restore the memory',
				async () => {
					const row = await latestExecution(userFolder, AGENT_WORKFLOW_ID);
					return row?.status === 'success' && row.data.includes("Restore the AI's memory")
						? row
						: undefined;
				},
				30_000,
				250,
			);
			assert(done.data.includes(HANDBACK_SUMMARY), 'the summary reached the workflow');
			assert(
				agentPushes().some(
					(p) =>
						p.event === 'session.handed_back' &&
						p.text === 'Alice is handing you back to the assistant',
				),
				`the handback notice was pushed: ${JSON.stringify(agentPushes())}`,
			);
		},
	);

	await step(
		"after the handback the model's next request carries the summary and the person's turns from memory",
		async () => {
			const before = model.requests.length;
			const answer = await agentChat('Is my refund done?', 'a5');
			assert(
				answer?.owner === 'ai' && answer.reply === 'Model: you said "Is my refund done?"',
				`AI answer after the handback: ${JSON.stringify(answer)}`,
			);
			assert(model.requests.length === before + 1, 'one model request');
			const messages = model.requests[before].messages.map((m) => [m.role, contentText(m)]);
			const at = (role, matches) => messages.findIndex(([r, text]) => r === role && matches(text));
			const order = [
				at('user', (t) => t === 'I was charged twice. I want to talk to a person.'),
				at('user', (t) => t === 'Hello? Anyone there?'),
				at('assistant', (t) => t === `[Alice] ${ALICE_AGENT_REPLY}`),
				at('user', (t) => t === 'Thank you!'),
				at(
					'system',
					(t) =>
						t.startsWith('Alice, a person from the team, answered the customer') &&
						t.endsWith(`Summary: ${HANDBACK_SUMMARY}`),
				),
				messages.length - 1,
			];
			assert(
				order.every((i) => i >= 0) &&
					order.every((i, k) => k === 0 || i > order[k - 1]) &&
					messages[messages.length - 1][0] === 'user' &&
					messages[messages.length - 1][1] === 'Is my refund done?',
				`the model saw the person's stretch in order (${order}): ${JSON.stringify(messages)}`,
			);
		},
	);

	await step(
		'an answer the model gives after a person took the chat is refused by the turn gate and not sent',
		async () => {
			let release;
			modelHold = {
				text: 'Can you also check my invoice?',
				released: new Promise((r) => (release = r)),
			};
			const pending = agentChat('Can you also check my invoice?', 'a6');
			await waitFor(
				'the model to be asked',
				() => model.requests.some((b) => JSON.stringify(b.messages).includes('check my invoice')),
				30_000,
				50,
			);
			// A person is asked for while the model thinks (here by the integration, as a signal would).
			await api('POST', '/v1/takeovers', {
				session_id: AGENT_SESSION,
				reply_webhook: `${n8nUrl}/webhook/baton-agent`,
				reason: 'other',
				assignee: 'support',
				channel: 'web',
			});
			release();
			const answer = await pending;
			modelHold = undefined;
			assert(
				answer?.owner === 'human' && answer.reply === null && answer.handed_off === false,
				`nothing sent: ${JSON.stringify(answer)}`,
			);
			const history = await agentHistory();
			assert(
				!history.some(
					([sender, content]) => sender === 'ai' && content.includes('check my invoice'),
				),
				`the refused answer is not in the history: ${JSON.stringify(history)}`,
			);
			const failures = await failedExecutions(userFolder);
			assert(failures.length === 0, `no n8n execution failed: ${failures.join('; ')}`);
		},
	);

	await whatsappSupport({
		whatsapp,
		api,
		batonUrl,
		n8nUrl,
		userFolder,
	});

	await step(
		'after an n8n restart the triggers keep their subscriptions and replies still arrive verified',
		async () => {
			const before = (await api('GET', '/v1/webhooks')).items
				.map((hook) => `${hook.id} ${hook.url}`)
				.sort();
			const webhookChecks = () =>
				telegram.calls.filter((c) => c.method === 'getWebhookInfo' || c.method === 'setWebhook')
					.length;
			const checksBefore = webhookChecks();
			await n8n.stop();
			n8n = await startN8n('n8n-restarted');
			// Counted from before the restart: the first start already made its own checks.
			await waitFor(
				'the Telegram webhook to be checked again',
				() => webhookChecks() > checksBefore,
				60_000,
			);
			const after = (await api('GET', '/v1/webhooks')).items
				.map((hook) => `${hook.id} ${hook.url}`)
				.sort();
			assert(
				JSON.stringify(after) === JSON.stringify(before),
				`subscriptions unchanged: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`,
			);
			await expectOk('POST', `${batonUrl}/v1/sessions/web-e2e-1/replies`, {
				token: reviewer,
				body: { content: 'Still here after the restart' },
			});
			const push = await waitFor(
				'the reply after the restart',
				() => widget.pushed.find((p) => p.text === '[Alice] Still here after the restart'),
				60_000,
			);
			assert(push.session_id === 'web-e2e-1', `pushed: ${JSON.stringify(push)}`);
		},
	);

	await step(
		'after the restart the widget visitor comes back (Last-Event-ID) and the AI still answers',
		async () => {
			// A page load with the kept token and the last item shown: nothing is repeated.
			const resumed = await openVisitorStream(batonUrl, visitor.token, SHOP_ORIGIN, visitor.lastId);
			const sent = await visitorSays('Are you still there?', 'c5');
			assert(sent.status === 201, `the visitor's message: ${sent.status} ${sent.text}`);
			const answer = await resumed.item(
				'the AI answer after the restart',
				(i) => i.data.from === 'assistant',
			);
			assert(
				answer.data.text.startsWith('AI: You said "Are you still there?"'),
				`answer: ${JSON.stringify(answer.data)}`,
			);
			const texts = resumed.items().map((i) => i.data.text);
			assert(
				texts.length === 2 && texts[0] === 'Are you still there?',
				`the resumed stream starts after the last item shown: ${JSON.stringify(texts)}`,
			);
			resumed.close();
		},
	);
}

async function cleanup() {
	for (const fn of cleanups.reverse()) {
		try {
			await fn();
		} catch {
			// best effort
		}
	}
	if (work && !process.env.BATON_E2E_KEEP) rmSync(work, { recursive: true, force: true });
	else if (work) log(`kept ${work}`);
}

// Baton and n8n run in their own process groups: stop them on Ctrl-C too.
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.once(signal, async () => {
		log(`${signal}: stopping`);
		await cleanup();
		process.exit(130);
	});
}

let exitCode = 0;
try {
	await main();
} catch (error) {
	exitCode = 1;
	if (!results.some((r) => !r.ok)) results.push({ name: 'setup', ok: false, error });
	console.error(`\n${error.setup ? '' : 'e2e failed: '}${error.message}`);
	if (work && existsSync(join(work, 'n8n', '.n8n', 'database.sqlite'))) {
		const failures = await failedExecutions(join(work, 'n8n'));
		if (failures.length > 0)
			console.error(`\n--- failed n8n executions ---\n${failures.join('\n')}`);
	}
	if (work) {
		for (const name of ['baton', 'n8n']) {
			const text = tail(join(work, `${name}.log`), 60);
			if (text) console.error(`\n--- last lines of ${name}.log ---\n${text}`);
		}
	}
} finally {
	await cleanup();
}
const passed = results.filter((r) => r.ok).length;
const failed = results.filter((r) => !r.ok).length;
log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode || (failed > 0 ? 1 : 0));
