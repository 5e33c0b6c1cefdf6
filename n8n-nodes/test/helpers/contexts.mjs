// Minimal stand-ins for the n8n execution contexts the nodes use. HTTP goes over the network to a
// real (fake) Baton through fetch, applying the credential's generic header auth the way n8n does.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const workflow = require('n8n-workflow');

export const node = {
	id: 'node-1',
	name: 'Baton',
	type: 'n8n-nodes-baton.baton',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** What n8n's httpRequestWithAuthentication does with our options, enough for these tests. */
export async function httpRequest(credentials, options) {
	const url = new URL(options.url);
	for (const [k, v] of Object.entries(options.qs ?? {})) url.searchParams.set(k, String(v));
	const headers = { ...(options.headers ?? {}), Authorization: `Bearer ${credentials.apiKey}` };
	let body;
	if (options.body !== undefined) {
		headers['content-type'] = 'application/json';
		body = JSON.stringify(options.body);
	}
	const response = await fetch(url, { method: options.method, headers, body });
	const text = await response.text();
	let parsed = text;
	if (options.json && text) {
		try {
			parsed = JSON.parse(text);
		} catch {
			parsed = text;
		}
	}
	if (!response.ok && !options.ignoreHttpStatusErrors) {
		const error = new Error(`Request failed with status code ${response.status}`);
		error.httpCode = String(response.status);
		throw error;
	}
	if (options.returnFullResponse) {
		return {
			statusCode: response.status,
			headers: Object.fromEntries(response.headers),
			body: parsed,
		};
	}
	return parsed;
}

function parameterGetter(params) {
	return (name, itemIndex, fallback) => {
		const path = name.split('.');
		let value = params;
		for (const key of path) value = value === undefined ? undefined : value[key];
		if (typeof value === 'function') value = value(itemIndex);
		return value === undefined ? fallback : value;
	};
}

export function executeContext({
	credentials,
	params,
	items = [{ json: {} }],
	continueOnFail = false,
	resumeUrl = 'http://127.0.0.1:5678/webhook-waiting/42',
}) {
	const calls = { waitTill: undefined };
	const ctx = {
		calls,
		getInputData: () => items,
		getNode: () => node,
		getNodeParameter: parameterGetter(params),
		continueOnFail: () => continueOnFail,
		getCredentials: async () => credentials,
		evaluateExpression: (expression) => {
			if (expression.includes('$execution.resumeUrl')) return resumeUrl;
			throw new Error(`unexpected expression ${expression}`);
		},
		getSignedResumeUrl: () => `${resumeUrl}/${node.id}?signature=test`,
		putExecutionToWait: async (date) => {
			calls.waitTill = date;
		},
		helpers: {
			httpRequestWithAuthentication: async (name, options) => {
				if (name !== 'batonApi') throw new Error(`unexpected credential ${name}`);
				return await httpRequest(credentials, options);
			},
			returnJsonArray: (items) => items.map((json) => ({ json })),
		},
	};
	return ctx;
}

export function hookContext({
	credentials,
	params,
	staticData = {},
	webhookUrl = 'http://127.0.0.1:5678/webhook/baton',
}) {
	return {
		staticData,
		getNode: () => ({ ...node, name: 'Baton Trigger', type: 'n8n-nodes-baton.batonTrigger' }),
		getNodeParameter: parameterGetter(params),
		getCredentials: async () => credentials,
		getNodeWebhookUrl: () => webhookUrl,
		getWorkflowStaticData: () => staticData,
		getWorkflow: () => ({ id: 'wf1', name: 'Support bot', active: true }),
		helpers: {
			httpRequestWithAuthentication: async (name, options) =>
				await httpRequest(credentials, options),
		},
	};
}

export function webhookContext({ credentials, params, staticData = {}, headers, rawBody }) {
	const response = { statusCode: undefined, body: undefined };
	const res = {
		status(code) {
			response.statusCode = code;
			return res;
		},
		json(body) {
			response.body = body;
			return res;
		},
		send(body) {
			response.body = body;
			return res;
		},
	};
	return {
		response,
		getNode: () => ({ ...node, name: 'Baton Trigger' }),
		getNodeParameter: parameterGetter(params),
		getCredentials: async () => credentials,
		getWorkflowStaticData: () => staticData,
		getHeaderData: () => headers,
		getBodyData: () => JSON.parse(rawBody.toString('utf8')),
		getRequestObject: () => ({ rawBody, body: JSON.parse(rawBody.toString('utf8')), headers }),
		getResponseObject: () => res,
		helpers: { returnJsonArray: (items) => items.map((json) => ({ json })) },
	};
}
