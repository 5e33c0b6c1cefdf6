import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import * as approval from './actions/approval';
import { router } from './actions/router';
import * as session from './actions/session';
import * as signal from './actions/signal';
import * as takeover from './actions/takeover';
import * as team from './actions/team';
import { approvalResumeWebhooks, approvalWebhook } from './approvalWait';
import { batonApiCredentialTest, CREDENTIAL_TEST } from '../shared/credentialTest';

export class Baton implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Baton',
		name: 'baton',
		icon: { light: 'file:baton.svg', dark: 'file:baton.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description:
			'Hand a live chatbot conversation to a person in the Baton inbox and take it back: turn gate, takeover, signals, approvals, business hours',
		defaults: { name: 'Baton' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'batonApi', required: true, testedBy: 'batonApiCredentialTest' }],
		// Only used by Approval > Request with "Wait for Decision": Baton posts the decision here.
		webhooks: approvalResumeWebhooks,
		waitingNodeTooltip: 'Waiting for a reviewer to decide in the Baton inbox',
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Approval',
						value: 'approval',
						description: 'A person approves, edits or rejects what the bot proposes',
					},
					{
						name: 'Session',
						value: 'session',
						description: 'A customer conversation: record turns, see who owns it, hand it back',
					},
					{
						name: 'Signal',
						value: 'signal',
						description: 'Decide whether a message should go to a person',
					},
					{
						name: 'Takeover',
						value: 'takeover',
						description: 'Ask a person to take over the conversation',
					},
					{
						name: 'Team',
						value: 'team',
						description: 'Whether a team is open and who is online, before asking for a person',
					},
				],
				default: 'session',
			},
			...session.descriptions,
			...takeover.descriptions,
			...signal.descriptions,
			...approval.descriptions,
			...team.descriptions,
		],
	};

	methods = {
		credentialTest: { [CREDENTIAL_TEST]: batonApiCredentialTest },
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await approvalWebhook.call(this);
	}

	execute = router;
}
