/**
 * Names for the Baton API shapes the nodes use, taken from the generated `api-types.ts`
 * (openapi-typescript over `openapi/openapi.json`), so the nodes follow the contract rather than
 * a second hand-written copy of it. Run `npm run generate:api-types` after the API changes.
 */
import type { components } from './api-types';

type Schemas = components['schemas'];

export type Owner = Schemas['Owner'];
export type SessionStatus = Schemas['SessionStatus'];
export type SessionState = Schemas['SessionState'];
export type RecordMessageRequest = Schemas['RecordMessage'];
export type RecordMessageResponse = Schemas['TurnRecorded'];
export type Message = Schemas['Message'];
export type MessagePage = Schemas['MessagePage'];
export type HistoryItem = Schemas['HistoryItem'];
export type TakeoverReason = Schemas['Reason'];
export type CreateTakeoverRequest = Schemas['TakeoverRequest'];
export type Takeover = Schemas['Takeover'];
export type QueueInfo = Schemas['QueueInfo'];
export type TeamRouting = Schemas['TeamRouting'];
export type HandbackRequest = Schemas['HandbackRequest'];
export type CreateWebhookRequest = Schemas['WebhookRequest'];
export type Webhook = Schemas['Webhook'];
export type WebhookList = Schemas['WebhookList'];
export type SubscriptionScope = Schemas['SubscriptionScope'];
export type SignatureTest = Schemas['SignatureTest'];
export type Problem = Schemas['Problem'];
export type CallbackEvent = Schemas['CallbackEvent'];
export type CallbackMessage = Schemas['CallbackMessage'];
export type CloudTemplate = Schemas['CloudTemplate'];
export type CloudParameter = Schemas['CloudParameter'];
export type EventType = Schemas['EventType'];

export type EvaluateSignalRequest = Schemas['SignalInput'];
export type SignalDecision = Schemas['Evaluation'];
/** One of `approve`, `reject`, `edit` (the spec types the allowed decisions as strings). */
export type Decision = NonNullable<CreateTakeoverRequest['decisions']>[number];
