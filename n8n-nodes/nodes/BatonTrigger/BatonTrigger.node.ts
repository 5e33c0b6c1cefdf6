import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { CreateWebhookRequest, SubscriptionScope, Webhook, WebhookList } from '../shared/api';
import { batonApiCredentialTest, CREDENTIAL_TEST } from '../shared/credentialTest';
import { EVENT_OPTIONS, eventToItem } from '../shared/events';
import type { BatonEvent } from '../shared/events';
import { parseEvent, rawBodyOf } from '../shared/rawBody';
import { signatureHeaders, verifySignature } from '../shared/signature';
import { asNodeError, batonApiRequest, httpStatus } from '../shared/transport';

/** What the trigger keeps between activation and callbacks (n8n persists it with the workflow). */
interface SubscriptionData {
	webhookId?: string;
	secret?: string;
	events?: string[];
}

function subscriptionOf(
	context: IHookFunctions | IWebhookFunctions,
): SubscriptionData & IDataObject {
	return context.getWorkflowStaticData('node') as SubscriptionData & IDataObject;
}

function forget(data: SubscriptionData & IDataObject): void {
	delete data.webhookId;
	delete data.secret;
	delete data.events;
}

function sameEvents(a: string[] = [], b: string[] = []): boolean {
	return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

function selectedEvents(context: IHookFunctions | IWebhookFunctions): string[] {
	return context.getNodeParameter('events', []) as string[];
}

/** The Only Channels option as a list (empty: every channel). */
function selectedChannels(context: IHookFunctions | IWebhookFunctions): string[] {
	const options = context.getNodeParameter('options', {}) as IDataObject;
	return String(options.channels ?? '')
		.split(',')
		.map((c) => c.trim())
		.filter((c) => c !== '');
}

/**
 * Whose conversations the subscription hears about: by default only the takeovers whose
 * callbacks point at this trigger (made by this workflow's Baton node with "Reply To: Baton
 * Trigger"), so two workflows on one API key do not both act on every takeover.
 */
function selectedScope(context: IHookFunctions | IWebhookFunctions): SubscriptionScope {
	const options = context.getNodeParameter('options', {}) as IDataObject;
	return options.allTakeovers === true ? 'all' : 'own_takeovers';
}

/** The subscription Baton holds for us matches what the node asks for now. */
function sameSubscription(context: IHookFunctions, hook: Webhook): boolean {
	return (
		sameEvents(hook.events, selectedEvents(context)) &&
		(hook.scope ?? 'all') === selectedScope(context) &&
		sameEvents(hook.channels ?? [], selectedChannels(context))
	);
}

export class BatonTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Baton Trigger',
		name: 'batonTrigger',
		icon: { light: 'file:baton.svg', dark: 'file:baton.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ ($parameter["events"] || []).join(", ") }}',
		description:
			"Starts the workflow when Baton sends an event: a reviewer reply to pass to the customer, a claim, a handback, a web visitor's message to answer",
		defaults: { name: 'Baton Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'batonApi', required: true, testedBy: 'batonApiCredentialTest' }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: '={{ $parameter["respond"] }}',
				// Explicit either way: after the workflow, an empty 200 (whatever the last node output,
				// even nothing); immediately, the `webhookResponse` returned below. Left unset, n8n
				// would answer the literal text "firstEntryJson" or fail on a workflow without output.
				responseData: '={{ $parameter["respond"] === "lastNode" ? "noData" : "" }}',
				path: '={{ $parameter["path"] }}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'baton',
				required: true,
				description:
					'The webhook path: the production URL is &lt;n8n URL&gt;/webhook/&lt;path&gt;. The Baton node\'s "Reply To: Baton Trigger" uses the same path.',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['reply', 'takeover.claimed', 'takeover.timed_out', 'session.handed_back'],
				options: EVENT_OPTIONS,
				description: 'The Baton events that start this workflow',
			},
			{
				displayName: 'Respond',
				name: 'respond',
				type: 'options',
				default: 'lastNode',
				options: [
					{
						name: 'When the Workflow Has Finished',
						value: 'lastNode',
						description:
							'Baton gets 2xx only after the message reached the channel, and retries otherwise (recommended)',
					},
					{
						name: 'Immediately',
						value: 'onReceived',
						description: 'Answer 200 as soon as the event is verified',
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'All Takeovers',
						name: 'allTakeovers',
						type: 'boolean',
						default: false,
						description:
							"Whether to receive the events of every takeover of the API key, also those other workflows requested. Off: only takeovers whose Reply To is this trigger (the Baton node's default), and conversations that never had a takeover.",
					},
					{
						displayName: 'Only Channels',
						name: 'channels',
						type: 'string',
						default: '',
						placeholder: 'e.g. telegram',
						description:
							'Comma-separated channel names: Baton sends only events of these channels (a takeover replying here is acknowledged without starting this workflow). Use it when several workflows share one Baton.',
					},
					{
						displayName: 'Prefix Reviewer Name',
						name: 'prefixReviewerName',
						type: 'boolean',
						default: true,
						description:
							'Whether the "text" of a reply starts with the reviewer\'s name, like "[Alice] Hi"',
					},
				],
			},
		],
	};

	// n8n takes the credential test from whichever node using the credential it finds first.
	methods = {
		credentialTest: { [CREDENTIAL_TEST]: batonApiCredentialTest },
	};

	webhookMethods = {
		default: {
			/** Our subscription still exists in Baton, for this URL and these events, and we hold its secret. */
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const data = subscriptionOf(this);
				const url = this.getNodeWebhookUrl('default') as string;
				const { body } = await batonApiRequest<WebhookList>(this, {
					method: 'GET',
					path: '/v1/webhooks',
				});
				const ours = body.items.find((hook) => hook.id === data.webhookId);
				if (ours && ours.url === url && data.secret && sameSubscription(this, ours)) {
					return true;
				}
				// A subscription for this URL whose secret we no longer hold (or with other events, scope
				// or channels) would deliver callbacks we cannot verify, or the wrong ones: remove it, and
				// let create() register afresh.
				for (const stale of body.items.filter((hook) => hook.url === url)) {
					await batonApiRequest(this, {
						method: 'DELETE',
						path: `/v1/webhooks/${encodeURIComponent(stale.id)}`,
					});
				}
				forget(data);
				return false;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const url = this.getNodeWebhookUrl('default') as string;
				const events = selectedEvents(this);
				if (events.length === 0) {
					throw new NodeOperationError(this.getNode(), 'Choose at least one event');
				}
				// One subscription per URL: a leftover one (its secret lost) would deliver every event
				// a second time, signed with a secret we cannot check.
				const existing = await batonApiRequest<WebhookList>(this, {
					method: 'GET',
					path: '/v1/webhooks',
				});
				for (const stale of existing.body.items.filter((hook) => hook.url === url)) {
					await batonApiRequest(this, {
						method: 'DELETE',
						path: `/v1/webhooks/${encodeURIComponent(stale.id)}`,
					});
				}
				const channels = selectedChannels(this);
				const subscription: CreateWebhookRequest = {
					url,
					events: events as CreateWebhookRequest['events'],
					description: `n8n workflow "${this.getWorkflow().name ?? this.getWorkflow().id}"`,
					scope: selectedScope(this),
					...(channels.length > 0 ? { channels } : {}),
				};
				const { body } = await batonApiRequest<Webhook>(this, {
					method: 'POST',
					path: '/v1/webhooks',
					body: subscription,
				});
				if (!body.id || !body.secret) {
					throw new NodeOperationError(
						this.getNode(),
						'Baton did not return the subscription id and secret',
					);
				}
				const data = subscriptionOf(this);
				data.webhookId = body.id;
				data.secret = body.secret;
				data.events = events;
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const data = subscriptionOf(this);
				if (data.webhookId) {
					try {
						await batonApiRequest(this, {
							method: 'DELETE',
							path: `/v1/webhooks/${encodeURIComponent(data.webhookId)}`,
						});
					} catch (error) {
						// Already gone in Baton: that is what we wanted.
						if (httpStatus(error) !== 404) throw asNodeError(this.getNode(), error);
					}
				}
				forget(data);
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const response = this.getResponseObject();
		const data = subscriptionOf(this);
		const credentials = await this.getCredentials('batonApi');
		const raw = rawBodyOf(this);
		// Index 0: our subscription's secret; index 1: the API key's secret. A takeover's own
		// callback to this URL is signed with both (Baton sends it instead of a subscription copy).
		const headers = signatureHeaders(this.getHeaderData() as Record<string, unknown>);
		const verdict = verifySignature(
			[data.secret ?? '', String(credentials.signingSecret ?? '')],
			headers,
			raw,
		);
		if (!verdict.valid) {
			// Not a Baton callback at all (no signature headers): refuse it quietly, so strangers
			// cannot fill the execution log.
			if (!headers.id || !headers.signature) {
				response.status(401).json({ error: `invalid signature: ${verdict.reason}` });
				return { noWebhookResponse: true };
			}
			// A signed callback we cannot verify is a setup error the builder must see: thrown, it
			// is a failed execution of this workflow with this message (n8n answers Baton 500, and
			// Baton retries it once the credential is fixed).
			throw new NodeOperationError(
				this.getNode(),
				`Baton callback refused: ${verdict.reason} (webhook-id ${headers.id})`,
				{
					description:
						verdict.reason === 'signature does not match'
							? 'Neither this trigger\'s subscription secret nor the Signing Secret of the Baton API credential verifies it. Open the credential, paste the "signing_secret" printed with the API key, and run its Test: it checks the secret against Baton. Then deactivate and activate this workflow.'
							: "Check that the clocks of Baton and n8n agree (Baton's callbacks are valid for 5 minutes).",
				},
			);
		}
		const event = parseEvent(raw) as BatonEvent | undefined;
		if (!event || typeof event.type !== 'string' || typeof event.session_id !== 'string') {
			response.status(400).json({ error: 'body is not a Baton event' });
			return { noWebhookResponse: true };
		}
		if (!selectedEvents(this).includes(event.type)) {
			response
				.status(200)
				.json({ received: true, ignored: `event type ${event.type} is not selected` });
			return { noWebhookResponse: true };
		}
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const channels = selectedChannels(this);
		if (channels.length > 0 && !channels.includes(String(event.channel ?? ''))) {
			response
				.status(200)
				.json({ received: true, ignored: `channel ${event.channel ?? '(none)'} is not selected` });
			return { noWebhookResponse: true };
		}
		// No deduplication here: Baton sends a takeover's own callback to this URL instead of a
		// subscription copy, so each event arrives once (docs: "one delivery per event per URL").
		const item = eventToItem(event, { prefixReviewerName: options.prefixReviewerName !== false });
		return {
			webhookResponse: { received: true, event_id: event.id },
			workflowData: [this.helpers.returnJsonArray([item])],
		};
	}
}
