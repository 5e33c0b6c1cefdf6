import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	INode,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { Problem } from './api';

export type BatonContext = IExecuteFunctions | IHookFunctions;

export interface BatonRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, starting with /v1/. Path parameters must already be encoded. */
	path: string;
	body?: object;
	qs?: IDataObject;
	headers?: Record<string, string>;
	itemIndex?: number;
}

export interface BatonResponse<T> {
	status: number;
	body: T;
}

export function baseUrlOf(credentials: IDataObject): string {
	return String(credentials.baseUrl ?? '')
		.trim()
		.replace(/\/+$/, '');
}

/** A session id is any string (a Telegram chat id, a phone number): it goes into paths encoded. */
export function sessionPath(sessionId: string, suffix = ''): string {
	return `/v1/sessions/${encodeURIComponent(sessionId)}${suffix}`;
}

/** The request n8n sends, built separately so that tests can check it without a server. */
export function buildRequestOptions(baseUrl: string, request: BatonRequest): IHttpRequestOptions {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${baseUrl}${request.path}`,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		headers: { Accept: 'application/json', ...(request.headers ?? {}) },
	};
	if (request.body !== undefined) options.body = request.body as IDataObject;
	if (request.qs !== undefined) options.qs = request.qs;
	return options;
}

function problemMessage(
	status: number,
	problem: Partial<Problem>,
): { message: string; description?: string } {
	const title = problem.title ?? `Baton answered ${status}`;
	const message = problem.detail ? `${title}: ${problem.detail}` : title;
	const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
	return { message, description: fields.length > 0 ? fields.join('; ') : problem.type };
}

/**
 * Calls Baton with the `batonApi` credential. 2xx answers are returned with their status (some
 * callers care about 200 vs 201); anything else becomes a NodeApiError carrying Baton's problem
 * details, so the user reads Baton's own explanation in the n8n error panel.
 */
export async function batonApiRequest<T = IDataObject>(
	context: BatonContext,
	request: BatonRequest,
): Promise<BatonResponse<T>> {
	const credentials = await context.getCredentials('batonApi');
	const baseUrl = baseUrlOf(credentials);
	const options = buildRequestOptions(baseUrl, request);
	let response: { statusCode: number; body: unknown };
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(
			context,
			'batonApi',
			options,
		)) as {
			statusCode: number;
			body: unknown;
		};
	} catch (error) {
		throw new NodeApiError(context.getNode(), error as JsonObject, {
			message: `Cannot reach Baton at ${baseUrl}: ${(error as Error).message}`,
			itemIndex: request.itemIndex,
		});
	}
	const status = response.statusCode;
	if (status >= 200 && status < 300) {
		return { status, body: response.body as T };
	}
	const problem: Partial<Problem> =
		response.body !== null && typeof response.body === 'object'
			? (response.body as Problem)
			: { detail: typeof response.body === 'string' ? response.body : undefined };
	const { message, description } = problemMessage(status, problem);
	throw new NodeApiError(context.getNode(), { ...problem, status } as JsonObject, {
		message,
		description,
		httpCode: String(status),
		itemIndex: request.itemIndex,
	});
}

/**
 * The error to throw from a catch block: n8n's own errors pass through unchanged (a NodeApiError
 * keeps Baton's problem details), anything else is wrapped so the UI shows it properly.
 */
export function asNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error as Error, { itemIndex });
}

/** The problem `type` of a NodeApiError raised by batonApiRequest, e.g. `/problems/ai-turn-refused`. */
export function problemType(error: unknown): string | undefined {
	if (error instanceof NodeApiError) {
		const body = error.errorResponse as { type?: unknown } | undefined;
		if (body && typeof body.type === 'string') return body.type;
	}
	return undefined;
}

export function httpStatus(error: unknown): number | undefined {
	if (error instanceof NodeApiError && error.httpCode) return Number(error.httpCode);
	return undefined;
}
