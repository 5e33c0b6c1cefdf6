import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes } from 'n8n-workflow';
import { REASON_OPTIONS } from '../Baton/actions/takeoverFields';
import { batonApiCredentialTest, CREDENTIAL_TEST } from '../shared/credentialTest';
import { asNodeError } from '../shared/transport';
import { DEFAULT_CUSTOMER_MESSAGE, handOff } from './handoff';

/**
 * The AI Agent's own way to hand a conversation to a person. Given to an AI Agent as a tool
 * (n8n offers it as "Baton Handoff Tool"), the model calls it with a reason and a summary
 * (`$fromAI`), Baton records the takeover, and the agent is told what to say to the customer.
 * From then on the turn gate refuses the AI's turns until a reviewer hands back.
 */
export class BatonHandoff implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Baton Handoff',
		name: 'batonHandoff',
		icon: { light: 'file:baton.svg', dark: 'file:baton.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ "to " + ($parameter["assignee"] || "any reviewer") }}',
		description:
			'Hand the conversation to a person in the Baton inbox. Give it to an AI Agent as a tool: the agent calls it with a reason and a summary and learns what to tell the customer.',
		defaults: { name: 'Hand off to a person' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'batonApi', required: true, testedBy: 'batonApiCredentialTest' }],
		properties: [
			{
				displayName:
					'Give this node to an AI Agent as a tool and let the model fill Reason and Summary. Its answer tells the agent what to say to the customer.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Session ID',
				name: 'sessionId',
				type: 'string',
				required: true,
				default: '',
				placeholder: "e.g. {{ $('Chat message').item.json.body.session_id }}",
				description:
					'Your ID of the conversation (a Telegram chat ID, a WhatsApp number, a web-chat session), the same the turn gate records turns under',
			},
			{
				displayName: 'Reason',
				name: 'reason',
				type: 'options',
				default: 'user_requested',
				options: REASON_OPTIONS,
				description:
					'Why a person is needed. From a model, any text that is not one of user_requested, low_confidence, out_of_scope counts as other.',
			},
			{
				displayName: 'Summary',
				name: 'summary',
				type: 'string',
				default: '',
				typeOptions: { rows: 3 },
				description:
					'For the person taking over: what the customer wants and what was tried. Shown in the inbox.',
			},
			{
				displayName: 'Message for the Customer',
				name: 'customerMessage',
				type: 'string',
				default: DEFAULT_CUSTOMER_MESSAGE,
				typeOptions: { rows: 2 },
				description:
					"What the agent is told to say; the customer's place in the queue (or when a closed team opens) is added to it",
			},
			{
				displayName: 'Reply To',
				name: 'replyTo',
				type: 'options',
				default: 'trigger',
				options: [
					{
						name: 'Baton Trigger',
						value: 'trigger',
						description: 'The production URL of a Baton Trigger in this n8n (by its path)',
					},
					{ name: 'URL', value: 'url', description: 'Any webhook URL' },
				],
				description:
					"Where Baton posts the reviewer's replies and the handback with the AI's memory messages (the takeover's reply_webhook)",
			},
			{
				displayName: 'Trigger Path',
				name: 'triggerPath',
				type: 'string',
				default: 'baton',
				description: 'The Path parameter of the Baton Trigger in the same workflow as the agent',
				displayOptions: { show: { replyTo: ['trigger'] } },
			},
			{
				displayName: 'Reply Webhook URL',
				name: 'replyWebhookUrl',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'https://n8n.example.com/webhook/baton',
				displayOptions: { show: { replyTo: ['url'] } },
			},
			{
				displayName: 'Assignee',
				name: 'assignee',
				type: 'string',
				default: '',
				placeholder: 'e.g. support',
				description: 'A team or reviewer name in Baton. Empty: any reviewer.',
			},
			{
				displayName: 'Timeout',
				name: 'timeout',
				type: 'string',
				default: '',
				placeholder: 'e.g. 10m',
				description:
					"How long the takeover may wait for a person before Baton escalates: 90s, 30m, 2h, 1d or seconds. Empty: Baton's default.",
			},
			{
				displayName: 'Context (JSON)',
				name: 'context',
				type: 'json',
				default: '{}',
				description: 'Anything the reviewer should see about why the AI stopped',
			},
			{
				displayName: 'Additional Fields',
				name: 'additionalFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				options: [
					{
						displayName: 'Channel',
						name: 'channel',
						type: 'string',
						default: '',
						placeholder: 'e.g. web',
					},
					{
						displayName: 'Channel Reference',
						name: 'channelRef',
						type: 'string',
						default: '',
						description: 'Address of the customer in the channel (defaults to the session ID)',
					},
					{
						displayName: 'Handback Signal URL',
						name: 'handbackSignal',
						type: 'string',
						default: '',
						description: 'Where the handback event goes instead of the reply webhook',
					},
					{
						displayName: 'Priority',
						name: 'priority',
						type: 'number',
						default: 0,
						typeOptions: { minValue: 0, maxValue: 10 },
						description: 'Higher comes first in the queue (0–10)',
					},
					{
						displayName: 'Queue Updates',
						name: 'queueUpdates',
						type: 'boolean',
						default: true,
						description:
							"Whether Baton sends queue.updated callbacks while the customer waits ('You are number 3, about 4 minutes')",
					},
					{
						displayName: 'User ID',
						name: 'userId',
						type: 'string',
						default: '',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { [CREDENTIAL_TEST]: batonApiCredentialTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				returnData.push(...(await handOff.call(this, itemIndex)));
			} catch (error) {
				if (this.continueOnFail()) {
					const json: IDataObject = { handed_off: false, error: (error as Error).message };
					if (error instanceof NodeApiError && error.httpCode) json.httpCode = error.httpCode;
					returnData.push({ json, pairedItem: { item: itemIndex } });
					continue;
				}
				throw asNodeError(this.getNode(), error, itemIndex);
			}
		}
		return [returnData];
	}
}
