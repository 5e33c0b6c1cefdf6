import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import type { RecordMessageRequest, RecordMessageResponse } from '../../../shared/api';
import { asNodeError, batonApiRequest, problemType, sessionPath } from '../../../shared/transport';
import { compact, getSessionId } from '../common';

const show = { resource: ['session'], operation: ['sendAiAnswer'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Session ID',
		name: 'sessionId',
		type: 'string',
		required: true,
		default: '={{ $json.session_id }}',
		description:
			'The conversation to answer: the session_id of the customer.message the Baton Trigger received',
		displayOptions: { show },
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		required: true,
		default: '',
		typeOptions: { rows: 3 },
		placeholder: 'e.g. {{ $json.output }}',
		description:
			"The AI's answer. Baton records it as the AI's turn and shows it to the visitor in its chat widget.",
		displayOptions: { show },
	},
	{
		displayName: 'On Person Owns Session',
		name: 'onPersonOwns',
		type: 'options',
		default: 'error',
		options: [
			{
				name: 'Error',
				value: 'error',
				description: 'Stop with an error saying a person has the conversation',
			},
			{
				name: 'Output and Continue',
				value: 'continue',
				description:
					'Output an item with refused: true and owner: human, so the workflow can stop quietly',
			},
		],
		description:
			'What to do when Baton refuses the answer because a person took the conversation while the AI was thinking',
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Message ID',
				name: 'messageId',
				type: 'string',
				default: '',
				placeholder: "e.g. {{ 'ai_' + $json.event_id }}",
				description:
					'Your ID of this answer. Sent again with the same ID (a retried workflow), it is recorded only once.',
			},
		],
	},
];

function isRefusal(error: unknown): boolean {
	return problemType(error)?.endsWith('ai-turn-refused') === true;
}

/**
 * Answers a web visitor: records an `ai` turn through the turn gate, and Baton pushes it to the
 * visitor's widget. While a person owns the session Baton refuses it (409 `ai-turn-refused`): an
 * error that says so, or with "Output and Continue" an item with `refused: true`.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body = compact({
		sender: 'ai',
		content: String(this.getNodeParameter('text', itemIndex, '') ?? ''),
		id: options.messageId !== undefined ? String(options.messageId) : undefined,
	} as IDataObject) as unknown as RecordMessageRequest;
	try {
		const response = await batonApiRequest<RecordMessageResponse>(this, {
			method: 'POST',
			path: sessionPath(sessionId, '/messages'),
			body,
			itemIndex,
		});
		const state = response.body;
		return [
			{
				json: {
					...(state as unknown as IDataObject),
					sent: true,
					refused: false,
					human_owns: state.owner !== 'ai',
				},
				pairedItem: { item: itemIndex },
			},
		];
	} catch (error) {
		if (!isRefusal(error)) throw asNodeError(this.getNode(), error, itemIndex);
		const detail = (error as Error).message;
		if (this.getNodeParameter('onPersonOwns', itemIndex, 'error') === 'continue') {
			return [
				{
					json: {
						session_id: sessionId,
						sent: false,
						refused: true,
						owner: 'human',
						human_owns: true,
						detail,
					},
					pairedItem: { item: itemIndex },
				},
			];
		}
		const apiError = error as NodeApiError;
		throw new NodeApiError(this.getNode(), apiError.errorResponse as JsonObject, {
			message: 'A person owns this conversation: Baton did not send the AI answer',
			description: `${detail}. The visitor is talking to a person now; set "On Person Owns Session" to "Output and Continue" to end the workflow quietly instead.`,
			httpCode: '409',
			itemIndex,
		});
	}
}
