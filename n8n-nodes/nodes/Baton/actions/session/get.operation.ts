import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import type { SessionState } from '../../../shared/api';
import { batonApiRequest, sessionPath } from '../../../shared/transport';
import { getSessionId, queueFields, sessionIdField } from '../common';

export const description: INodeProperties[] = [sessionIdField('session', ['get'])];

/** The session's state; while a takeover waits, its place in the queue (`queue_position`, ...). */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const sessionId = getSessionId.call(this, itemIndex);
	const { body } = await batonApiRequest<SessionState>(this, {
		method: 'GET',
		path: sessionPath(sessionId),
		itemIndex,
	});
	return [
		{
			json: {
				...(body as unknown as IDataObject),
				human_owns: body.owner !== 'ai',
				...queueFields(body.queue),
			},
			pairedItem: { item: itemIndex },
		},
	];
}
