import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { QueueInfo } from '../../shared/api';

export function sessionIdField(resource: string, operations: string[]): INodeProperties {
	return {
		displayName: 'Session ID',
		name: 'sessionId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 123456789',
		description:
			'Your ID of the conversation: a Telegram chat ID, a WhatsApp number, a web-chat session cookie',
		displayOptions: { show: { resource: [resource], operation: operations } },
	};
}

export function getSessionId(this: IExecuteFunctions, itemIndex: number): string {
	const raw = this.getNodeParameter('sessionId', itemIndex) as string | number;
	const sessionId = String(raw ?? '').trim();
	if (sessionId === '') {
		throw new NodeOperationError(this.getNode(), 'Session ID is empty', { itemIndex });
	}
	return sessionId;
}

/** JSON parameters arrive as text or, from an expression, already parsed. */
export function parseJsonParameter(
	this: IExecuteFunctions,
	value: unknown,
	name: string,
	itemIndex: number,
): unknown {
	if (typeof value !== 'string') return value;
	const text = value.trim();
	if (text === '') return undefined;
	try {
		return JSON.parse(text);
	} catch (error) {
		throw new NodeOperationError(
			this.getNode(),
			`${name} is not valid JSON: ${(error as Error).message}`,
			{
				itemIndex,
			},
		);
	}
}

/** Drops unset optional fields so Baton sees only what the user filled in. */
export function compact<T extends IDataObject>(body: T): T {
	const out: IDataObject = {};
	for (const [key, value] of Object.entries(body)) {
		if (value === undefined || value === null || value === '') continue;
		out[key] = value;
	}
	return out as T;
}

/** `"90s"`, `"30m"`, `"2h"`, `"1d"` or whole seconds, as Baton accepts them; undefined when blank. */
export function durationSeconds(value: string | number | undefined): number | undefined {
	if (value === undefined || value === '') return undefined;
	if (typeof value === 'number') return value;
	const match = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(value);
	if (!match) return undefined;
	const amount = Number(match[1]);
	const unit = match[2].toLowerCase();
	const factor = unit === 'm' ? 60 : unit === 'h' ? 3600 : unit === 'd' ? 86400 : 1;
	return amount * factor;
}

/** Baton takes the duration as text (`"90s"`, `"30m"`, `"2h"`, `"1d"` or `"90"` seconds) and validates it. */
export function timeoutParameter(value: string | number | undefined): string | undefined {
	if (value === undefined || value === '') return undefined;
	const trimmed = String(value).trim();
	return trimmed === '' ? undefined : trimmed;
}

/**
 * Where a waiting customer stands, for the output item: Baton's `queue` object (null, not missing,
 * when nobody waits) plus flat copies of what workflows branch on and tell the customer, so an IF
 * node or a message template needs no optional chaining.
 */
export function queueFields(queue: QueueInfo | null | undefined): IDataObject {
	return {
		queue: (queue ?? null) as IDataObject | null,
		queue_position: queue?.position ?? null,
		expected_wait_seconds: queue?.expected_wait_seconds ?? null,
		team_open: queue ? queue.open : null,
		opens_at: queue?.opens_at ?? null,
	};
}
