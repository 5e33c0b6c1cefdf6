import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { TeamRouting } from '../../../shared/api';
import { batonApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Team',
		name: 'team',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. support',
		description: 'The team name in Baton (the Assignee of your takeover requests)',
		displayOptions: { show: { resource: ['team'], operation: ['getRouting'] } },
	},
];

/**
 * The team's routing as Baton reports it: `open`, `opens_at` (when closed) and `closes_at`, the
 * assignment policy, business hours and each reviewer's availability and load. `reviewers_online`
 * counts who could take a conversation now, so a workflow can decide before asking for a person.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const team = String(this.getNodeParameter('team', itemIndex) ?? '').trim();
	if (team === '') {
		throw new NodeOperationError(this.getNode(), 'Team is empty', { itemIndex });
	}
	const { body } = await batonApiRequest<TeamRouting>(this, {
		method: 'GET',
		path: `/v1/teams/${encodeURIComponent(team)}/routing`,
		itemIndex,
	});
	return [
		{
			json: {
				...(body as unknown as IDataObject),
				reviewers_online: body.reviewers.filter((r) => r.availability === 'online').length,
			},
			pairedItem: { item: itemIndex },
		},
	];
}
