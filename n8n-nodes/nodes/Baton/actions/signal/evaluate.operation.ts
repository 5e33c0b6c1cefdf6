import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type { EvaluateSignalRequest, SignalDecision } from '../../../shared/api';
import { batonApiRequest } from '../../../shared/transport';
import { compact } from '../common';

const show = { resource: ['signal'], operation: ['evaluate'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		required: true,
		default: '',
		typeOptions: { rows: 2 },
		placeholder: 'e.g. {{ $json.message.text }}',
		description: "The customer's message",
		displayOptions: { show },
	},
	{
		displayName: 'Model Signals',
		name: 'signals',
		type: 'collection',
		placeholder: 'Add Signal',
		default: {},
		description:
			'Optional signals from the AI run; without them only scope and explicit requests count',
		displayOptions: { show },
		options: [
			{
				displayName: 'Classifier Score',
				name: 'classifierScore',
				type: 'number',
				default: 0,
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 3 },
			},
			{
				displayName: 'Classifier Topic',
				name: 'classifierTopic',
				type: 'string',
				default: '',
			},
			{
				displayName: 'Confidence',
				name: 'confidence',
				type: 'number',
				default: 1,
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 3 },
				description: "The model's confidence in its answer (0–1)",
			},
			{
				displayName: 'Grounding Score',
				name: 'groundingScore',
				type: 'number',
				default: 1,
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 3 },
			},
			{
				displayName: 'Language',
				name: 'language',
				type: 'string',
				default: '',
				placeholder: 'e.g. de',
				description: 'A hint; Baton detects the language otherwise',
			},
			{
				displayName: 'Retrieved Chunks',
				name: 'retrievedChunks',
				type: 'number',
				default: 0,
				typeOptions: { minValue: 0 },
				description: 'How many knowledge-base chunks the retrieval found',
			},
			{
				displayName: 'Tool Unsure',
				name: 'toolUnsure',
				type: 'boolean',
				default: false,
				description: 'Whether the agent called its "I am not sure" tool',
			},
		],
	},
];

export function buildEvaluateBody(
	this: IExecuteFunctions,
	itemIndex: number,
): EvaluateSignalRequest {
	const signals = this.getNodeParameter('signals', itemIndex, {}) as IDataObject;
	const body = compact({
		text: String(this.getNodeParameter('text', itemIndex) ?? ''),
		language: signals.language as string | undefined,
		confidence: signals.confidence as number | undefined,
		grounding_score: signals.groundingScore as number | undefined,
		retrieved_chunks: signals.retrievedChunks as number | undefined,
		tool_unsure: signals.toolUnsure as boolean | undefined,
	} as IDataObject) as unknown as EvaluateSignalRequest;
	if (typeof signals.classifierTopic === 'string' && signals.classifierTopic !== '') {
		body.classifier = {
			topic: signals.classifierTopic,
			score: typeof signals.classifierScore === 'number' ? signals.classifierScore : 1,
		};
	}
	return body;
}

/** Asks Baton whether to hand off, before any model runs: outputs `handoff` and `reason`. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { body } = await batonApiRequest<SignalDecision>(this, {
		method: 'POST',
		path: '/v1/signals/evaluate',
		body: buildEvaluateBody.call(this, itemIndex),
		itemIndex,
	});
	return [{ json: body as unknown as IDataObject, pairedItem: { item: itemIndex } }];
}
