/**
 * A client's region and endpoint as the AWS SDK reads them from the environment, for the
 * functions' own clients (`S3RestClient` and the presigner, `AwsJsonClient`).
 *
 * @example
 * ```ts
 * regionFromEnv(process.env);                 // 'eu-west-1'
 * configuredEndpoint(process.env, 'DYNAMODB'); // 'http://127.0.0.1:8000' under the local runtime
 * ```
 */

const TRUE = /^true$/i;

/** `AWS_REGION`, else `AWS_DEFAULT_REGION`; neither is an error. */
export function regionFromEnv(env: NodeJS.ProcessEnv): string {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return region;
}

/** Throws `refusal(setting)` when FIPS or dual-stack endpoints are asked for (the own clients address neither). */
export function refuseEndpointVariants(env: NodeJS.ProcessEnv, refusal: (setting: string) => Error): void {
  for (const setting of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
    if (TRUE.test(env[setting] ?? '')) throw refusal(setting);
  }
}

/**
 * The endpoint the SDK would honour for a service: `AWS_ENDPOINT_URL_<SERVICE>`, else
 * `AWS_ENDPOINT_URL`, none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
 */
export function configuredEndpoint(env: NodeJS.ProcessEnv, serviceVariable: string): string | undefined {
  if (TRUE.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined;
  return env[`AWS_ENDPOINT_URL_${serviceVariable}`] || env.AWS_ENDPOINT_URL || undefined;
}

/** Whether a boolean setting is `true` (any case), as the SDK reads one. */
export const settingIsTrue = (value: string | undefined): boolean => TRUE.test(value ?? '');
