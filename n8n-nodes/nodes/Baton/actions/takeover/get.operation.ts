import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { Takeover } from '../../../shared/api';
import { batonApiRequest } from '../../../shared/transport';
import { queueFields } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Takeover ID',
		name: 'takeoverId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. {{ $json.takeover_id }}',
		displayOptions: { show: { resource: ['takeover'], operation: ['get'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const takeoverId = String(this.getNodeParameter('takeoverId', itemIndex) ?? '').trim();
	if (takeoverId === '') {
		throw new NodeOperationError(this.getNode(), 'Takeover ID is empty', { itemIndex });
	}
	const { body } = await batonApiRequest<Takeover>(this, {
		method: 'GET',
		path: `/v1/takeovers/${encodeURIComponent(takeoverId)}`,
		itemIndex,
	});
	return [
		{
			json: { ...(body as IDataObject), ...queueFields(body.queue) },
			pairedItem: { item: itemIndex },
		},
	];
}
