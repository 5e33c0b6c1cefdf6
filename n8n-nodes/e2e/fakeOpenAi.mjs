// A stand-in for an OpenAI-compatible model server on 127.0.0.1, for n8n's OpenAI Chat Model node
// with a custom base URL. It records every chat completion request (what the AI Agent sent the
// model: system prompt, memory, tools, tool results) and answers with what the test's `respond`
// function decides: `{content}` for a plain answer, `{toolCall: {name, arguments}}` to call a
// tool. `respond` may return a promise, to hold an answer back. Streaming requests get the same
// answer as server-sent chunks.
import { createServer } from 'node:http';

let counter = 0;

function completion(model, answer) {
	const id = `chatcmpl-fake-${++counter}`;
	const message = answer.toolCall
		? {
				role: 'assistant',
				content: null,
				tool_calls: [
					{
						id: `call_${counter}`,
						type: 'function',
						function: {
							name: answer.toolCall.name,
							arguments: JSON.stringify(answer.toolCall.arguments ?? {}),
						},
					},
				],
			}
		: { role: 'assistant', content: answer.content ?? '' };
	return {
		id,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model,
		choices: [
			{
				index: 0,
				message,
				logprobs: null,
				finish_reason: answer.toolCall ? 'tool_calls' : 'stop',
			},
		],
		usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
	};
}

function chunks(body) {
	const { id, created, model } = body;
	const message = body.choices[0].message;
	const base = { id, object: 'chat.completion.chunk', created, model };
	const delta = message.tool_calls
		? {
				role: 'assistant',
				content: null,
				tool_calls: message.tool_calls.map((call, index) => ({ index, ...call })),
			}
		: { role: 'assistant', content: message.content };
	return [
		{ ...base, choices: [{ index: 0, delta, finish_reason: null }] },
		{ ...base, choices: [{ index: 0, delta: {}, finish_reason: body.choices[0].finish_reason }] },
	];
}

export async function startFakeOpenAi({ respond }) {
	const requests = [];
	const server = createServer((req, res) => {
		let raw = '';
		req.on('data', (c) => (raw += c));
		req.on('end', async () => {
			const path = req.url.split('?')[0];
			if (req.method === 'GET' && path.endsWith('/models')) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(
					JSON.stringify({
						object: 'list',
						data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'fake' }],
					}),
				);
				return;
			}
			if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
				return;
			}
			let body;
			try {
				body = JSON.parse(raw);
			} catch {
				res.writeHead(400, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: 'body is not JSON' } }));
				return;
			}
			requests.push(body);
			let answer;
			try {
				answer = await respond(body, requests.length);
			} catch (error) {
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: error.message } }));
				return;
			}
			const reply = completion(body.model, answer);
			if (body.stream) {
				res.writeHead(200, { 'content-type': 'text/event-stream' });
				for (const chunk of chunks(reply)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
				res.end('data: [DONE]\n\n');
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify(reply));
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		requests,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections?.();
				server.close(resolve);
			}),
	};
}
