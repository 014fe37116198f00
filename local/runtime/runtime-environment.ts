/**
 * The process environment the local runtime gives its in-process handlers: the variables the
 * templates set on the functions (table and bucket names, key ARNs, state machine ARN,
 * `KYC_CONFIG`), the service endpoints (`AWS_ENDPOINT_URL_<SERVICE>`, honoured by SDK v3 and
 * the AWS CLI), the region, dummy credentials the local servers accept, and the s3rver client
 * settings: checksums only when required (`AWS_REQUEST_CHECKSUM_CALCULATION`/
 * `AWS_RESPONSE_CHECKSUM_VALIDATION`, read by SDK v3) — path-style addressing follows from the
 * endpoint being an IP address.
 */
export interface LocalEndpoints {
  readonly s3: string;
  readonly dynamodb: string;
  readonly kms?: string;
  readonly rekognition?: string;
  /** Step Functions and EventBridge share the local JSON-protocol server. */
  readonly sfn: string;
  readonly eventbridge: string;
}

/** Variables removed so a developer's own AWS profile or session cannot leak into local calls. */
const CLEARED = [
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
];

/**
 * The variables to set, given the functions' shared environment and the endpoints.
 *
 * @example
 * ```ts
 * Object.assign(process.env, localProcessEnvironment(shared, endpoints, 'eu-west-1'));
 * ```
 */
export function localProcessEnvironment(
  functionEnvironment: Readonly<Record<string, string>>,
  endpoints: LocalEndpoints,
  region: string,
): Record<string, string> {
  return {
    ...functionEnvironment,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_S3_FORCE_PATH_STYLE: 'true',
    // CloudWatch has no local twin: the operational metrics' EMF lines would only clutter the
    // console (set POWERTOOLS_METRICS_DISABLED=false to see them).
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    // Any service without its own local endpoint fails fast against the JSON server instead of
    // trying to reach AWS.
    AWS_ENDPOINT_URL: endpoints.sfn,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    ...(endpoints.kms ? { AWS_ENDPOINT_URL_KMS: endpoints.kms } : {}),
    ...(endpoints.rekognition ? { AWS_ENDPOINT_URL_REKOGNITION: endpoints.rekognition } : {}),
  };
}

/**
 * Applies `variables` to `process.env` and returns a function that restores what was there.
 */
export function applyEnvironment(variables: Readonly<Record<string, string>>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const name of [...CLEARED, ...Object.keys(variables)]) previous.set(name, process.env[name]);
  for (const name of CLEARED) delete process.env[name];
  Object.assign(process.env, variables);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
