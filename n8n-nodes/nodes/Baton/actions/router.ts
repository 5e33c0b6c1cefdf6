import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { asNodeError } from '../../shared/transport';
import { requestApprovalAndWait } from '../approvalWait';
import * as approval from './approval';
import * as session from './session';
import * as signal from './signal';
import * as takeover from './takeover';
import * as team from './team';

type Handler = (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;

const resources: Record<string, Record<string, Handler>> = {
	approval: approval.handlers,
	session: session.handlers,
	signal: signal.handlers,
	takeover: takeover.handlers,
	team: team.handlers,
};

/** Dispatches each input item to its operation; with "Continue on Fail" an error becomes an item. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const handler = resources[resource]?.[operation];
	if (!handler) {
		throw new NodeOperationError(
			this.getNode(),
			`Unknown operation "${operation}" of "${resource}"`,
		);
	}

	if (
		resource === 'approval' &&
		operation === 'request' &&
		this.getNodeParameter('waitForDecision', 0, true)
	) {
		return await requestApprovalAndWait.call(this);
	}

	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			returnData.push(...(await handler.call(this, itemIndex)));
		} catch (error) {
			if (this.continueOnFail()) {
				const json: IDataObject = { error: (error as Error).message };
				if (error instanceof NodeApiError) {
					if (error.httpCode) json.httpCode = error.httpCode;
					if (error.description) json.description = error.description;
				}
				returnData.push({ json, pairedItem: { item: itemIndex } });
				continue;
			}
			throw asNodeError(this.getNode(), error, itemIndex);
		}
	}
	return [returnData];
}
