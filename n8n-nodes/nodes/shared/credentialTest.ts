import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import type { Problem, SignatureTest } from './api';
import { verifySignature } from './signature';
import { baseUrlOf } from './transport';

/** The name nodes give in `testedBy` for the Baton API credential. */
export const CREDENTIAL_TEST = 'batonApiCredentialTest';

const SIGNING_SECRET_HINT =
	'Paste the Signing Secret shown together with this API key (on Baton\'s setup page, or "signing_secret" from baton api-key create; it starts with whsec_).';

/**
 * Whether `secret` verifies the sample event Baton signed with the API key's signing secret
 * (`POST /v1/signature-tests`), checked exactly as the Baton Trigger checks a callback.
 */
export function checkSigningSecret(
	secret: string,
	test: SignatureTest,
	nowSeconds?: number,
): INodeCredentialTestResult {
	if (secret.trim() === '') {
		return {
			status: 'Error',
			message: `The API key works, but the Signing Secret is empty: n8n could not verify takeover callbacks. ${SIGNING_SECRET_HINT}`,
		};
	}
	const verdict = verifySignature(
		[secret],
		{
			id: test.webhook_id,
			timestamp: test.webhook_timestamp,
			signature: test.webhook_signature,
		},
		test.body,
		nowSeconds,
	);
	if (verdict.valid) {
		return {
			status: 'OK',
			message:
				"Connection tested: the API key works and the Signing Secret verifies Baton's signature",
		};
	}
	if (/tolerance/.test(verdict.reason)) {
		return {
			status: 'Error',
			message: `The API key works, but Baton's clock and n8n's differ by more than 5 minutes, so n8n would refuse every callback (${verdict.reason}). Set both clocks right.`,
		};
	}
	return {
		status: 'Error',
		message: `The API key works, but the Signing Secret is not this key's: it does not verify Baton's signature, so n8n would refuse its takeover callbacks. ${SIGNING_SECRET_HINT}`,
	};
}

function problemText(status: number, body: unknown): string {
	const problem = (body !== null && typeof body === 'object' ? body : {}) as Partial<Problem>;
	const title = problem.title ?? `HTTP ${status}`;
	return problem.detail ? `${title}: ${problem.detail}` : title;
}

/**
 * The credential test: Baton signs a sample event with the API key's signing secret and the
 * credential's Signing Secret must verify it. So a blank or wrong secret fails here, with a
 * sentence saying which field to fix, instead of later as refused callbacks.
 *
 * n8n gives credential tests only its deprecated `request` helper; this uses Node's own `fetch`
 * (the same HTTP call, without the deprecated helper).
 */
export async function batonApiCredentialTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data: ICredentialDataDecryptedObject = credential.data ?? {};
	const baseUrl = baseUrlOf(data);
	let response: Response;
	try {
		response = await fetch(`${baseUrl}/v1/signature-tests`, {
			method: 'POST',
			headers: {
				Authorization: `Bearer ${String(data.apiKey ?? '').trim()}`,
				Accept: 'application/json',
				'Content-Type': 'application/json',
			},
			body: '{}',
			signal: AbortSignal.timeout(15_000),
		});
	} catch (error) {
		return {
			status: 'Error',
			message: `Cannot reach Baton at ${baseUrl}: ${(error as Error).message}`,
		};
	}
	const text = await response.text();
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON: reported below as it is
	}
	if (response.status === 401 || response.status === 403) {
		return {
			status: 'Error',
			message: `Baton refused the API key (${problemText(response.status, body)}). Use the API Key Baton's setup page showed, or the "key" printed by baton api-key create (it starts with bk_).`,
		};
	}
	if (response.status === 404) {
		return {
			status: 'Error',
			message: `Baton at ${baseUrl} has no /v1/signature-tests: check the Base URL (without /v1), or update Baton.`,
		};
	}
	if (!response.ok || body === null || typeof body !== 'object') {
		return {
			status: 'Error',
			message: `Baton answered ${problemText(response.status, body)}`,
		};
	}
	return checkSigningSecret(String(data.signingSecret ?? ''), body as SignatureTest);
}
