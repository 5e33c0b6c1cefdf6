import type { IAuthenticateGeneric, Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The integration credential for Baton: where Baton runs, the API key n8n calls it with, and the
 * signing secret Baton signs takeover callbacks with (both printed once by `baton api-key create`).
 */
export class BatonApi implements ICredentialType {
	name = 'batonApi';

	displayName = 'Baton API';

	icon: Icon = { light: 'file:baton.svg', dark: 'file:baton.dark.svg' };

	/*
	 * Baton has no published web site; it serves its own API reference (the API key scheme, the
	 * signature test the credential test uses, the signed callbacks) at /docs/, here on its default address. n8n's lint
	 * requires a URL. How to fill in the fields is in the package README, section Credentials.
	 */
	documentationUrl = 'http://127.0.0.1:8080/docs/';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8080',
			placeholder: 'https://baton.example.com',
			required: true,
			description: 'Where Baton is reachable from n8n, without a trailing /v1',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The API Key that Baton\'s first-run setup page shows, or the "key" printed by <code>baton api-key create --name n8n</code> (starts with bk_)',
		},
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'whsec_...',
			description:
				'The Signing Secret shown with the API key (setup page, Admin · API keys, or "signing_secret" from baton api-key create). Needed to verify callbacks of takeovers and approvals that point at n8n; the credential test checks it against Baton.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	// No declarative `test`: n8n would run it instead of the nodes' `testedBy`
	// (shared/credentialTest.ts), which also checks that the Signing Secret verifies Baton's
	// signature.
}
