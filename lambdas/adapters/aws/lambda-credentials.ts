/**
 * What a Lambda bundle imports in place of `@aws-sdk/credential-provider-node`, the SDK's
 * default credential chain (`lib/bundling/lambda-bundle.ts` aliases it here; the local runtime
 * and the tests run the source and keep the whole chain).
 *
 * Lambda starts every function with its role's credentials in `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, which the chain's first link reads; the later
 * links (container and instance metadata, shared config files, SSO, web identity, credential
 * processes) are never reached there, yet their code weighs about 15 KB in every bundle. Here
 * the chain is that first link alone: without those variables a call fails with the SDK's
 * `CredentialsProviderError` instead of searching further.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/** The default provider every SDK client's configuration calls: the environment's credentials. */
export const defaultProvider = (init?: FromEnvInit): ReturnType<typeof fromEnv> => fromEnv(init);
