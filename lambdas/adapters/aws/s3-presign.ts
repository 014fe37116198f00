/**
 * Presigned S3 requests without the S3 client: the browser-based POST of an upload (a signed
 * POST policy) and the query-signed GET of a rendition or export package.
 *
 * The SDK's presigners (`@aws-sdk/s3-presigned-post`, `getSignedUrl`) take an `S3Client` for
 * three things: the credentials, the region and the bucket's URL, which the client works out
 * with S3's endpoint rules. The client weighs about 100 KB in a bundle, a third of a function
 * that only signs (the attempt route, the export download), so here the bucket's URL comes from
 * {@link bucketAddress} (S3's addressing for a plain bucket: virtual-hosted, or path-style under a
 * custom endpoint such as the local runtime's) and the signing from the SDK's own signers:
 * `SignatureV4` for the policy (`signString` is the policy's HMAC) and the SDK's
 * `S3RequestPresigner` for a GET. `test/unit/evidence/s3-presign.test.ts` checks every output
 * against the SDK's presigners, byte for byte.
 *
 * @example
 * ```ts
 * const context = s3PresignContextFromEnv();
 * const { url, fields } = await presignPost(context, { bucket, key, conditions: [], fields: {}, expiresInSeconds: 300 });
 * const link = await presignGet(context, { bucket, key, query: { 'response-cache-control': 'no-store' }, expiresInSeconds: 60 });
 * ```
 */
import { partition } from '@aws-sdk/core/client';
import { formatUrl } from '@aws-sdk/core/util';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { createScope, SignatureV4 } from '@smithy/signature-v4';
import { configuredEndpoint, refuseEndpointVariants, regionFromEnv, settingIsTrue } from './aws-environment.ts';

/** Signing credentials (`AwsCredentialIdentity`). */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What signing needs: who signs, where, and the bucket's addressing. */
export interface S3PresignContext {
  readonly region: string;
  readonly credentials: S3Credentials | (() => Promise<S3Credentials>);
  /** A custom S3 endpoint (`AWS_ENDPOINT_URL_S3`): URLs go under it instead of AWS's. */
  readonly endpoint?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`) even where a virtual-hosted one would do. */
  readonly forcePathStyle?: boolean;
  /** The signing clock (tests). */
  readonly now?: () => Date;
}

/** A presign for an addressing the SDK would use and this module does not (FIPS or dual-stack endpoints). */
export class S3AddressingNotSupportedError extends Error {
  constructor(setting: string) {
    super(`${setting} is set: presigning through the S3 client is needed for it (lambdas/adapters/aws/s3-presign.ts)`);
    this.name = 'S3AddressingNotSupportedError';
  }
}

/**
 * The context of a Lambda function (or of the local runtime's handlers): the region, the
 * environment's credentials, and the endpoint the SDK would honour (`AWS_ENDPOINT_URL_S3`, else
 * `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`).
 */
export function s3PresignContextFromEnv(env: NodeJS.ProcessEnv = process.env): S3PresignContext {
  const region = regionFromEnv(env);
  refuseEndpointVariants(env, (setting) => new S3AddressingNotSupportedError(setting));
  const endpoint = configuredEndpoint(env, 'S3');
  return {
    region,
    credentials: fromEnv(),
    ...(endpoint ? { endpoint } : {}),
    ...(settingIsTrue(env.AWS_S3_FORCE_PATH_STYLE) ? { forcePathStyle: true } : {}),
  };
}

/** S3's test for a bucket name that may lead a host name over HTTPS (no dots, lower case, 3-63). */
function virtualHostable(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket);
}

/** A host name that is an IP address (S3 addresses buckets under one by path). */
function ipHost(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith('[');
}

/** Where a bucket's requests go: the base URL, and the path prefix of its keys (`/<bucket>` path-style, else empty). */
export interface BucketAddress {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  /** `''` (virtual-hosted) or `/<bucket>` (path-style); a custom endpoint's own path comes first. */
  readonly pathPrefix: string;
}

/**
 * The address of `bucket`, as S3's endpoint rules give it for a bucket name (no access point,
 * no S3 Express, no acceleration): virtual-hosted `https://<bucket>.s3.<region>.<partition's
 * DNS suffix>`, path-style `https://s3.<region>.<suffix>/<bucket>` for a name that cannot lead a
 * host name, and under a custom endpoint path-style when asked, when its host is an IP address
 * or when the name cannot lead a host name, else `<scheme>://<bucket>.<host>`.
 *
 * @example
 * ```ts
 * bucketAddress('kyc-intake', { region: 'eu-west-1', credentials });
 * // { protocol: 'https:', hostname: 'kyc-intake.s3.eu-west-1.amazonaws.com', pathPrefix: '' }
 * ```
 */
export function bucketAddress(bucket: string, context: Omit<S3PresignContext, 'credentials'>): BucketAddress {
  if (!context.endpoint) {
    const host = `s3.${context.region}.${partition(context.region).dnsSuffix}`;
    return virtualHostable(bucket) && !context.forcePathStyle
      ? { protocol: 'https:', hostname: `${bucket}.${host}`, pathPrefix: '' }
      : { protocol: 'https:', hostname: host, pathPrefix: `/${bucket}` };
  }
  const endpoint = new URL(context.endpoint);
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  const port = endpoint.port ? { port: Number(endpoint.port) } : {};
  const hostable =
    endpoint.protocol === 'http:' ? /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) : virtualHostable(bucket);
  return context.forcePathStyle || ipHost(endpoint.hostname) || !hostable
    ? { protocol: endpoint.protocol, hostname: endpoint.hostname, ...port, pathPrefix: `${basePath}/${bucket}` }
    : { protocol: endpoint.protocol, hostname: `${bucket}.${endpoint.hostname}`, ...port, pathPrefix: basePath };
}

/** An object key as S3's REST paths carry it: each segment percent-encoded as the SDK does, the slashes kept. */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

/** An upload form: where to POST and the fields to send before `file`. */
export interface PresignedPost {
  readonly url: string;
  readonly fields: Record<string, string>;
}

/** A POST policy condition (`["eq", "$key", "a/b"]`, `["content-length-range", 1, 2]`, `{ "bucket": "b" }`). */
export type PostCondition = readonly (string | number)[] | Readonly<Record<string, string>>;

export interface PresignPostInput {
  readonly bucket: string;
  readonly key: string;
  readonly conditions: readonly PostCondition[];
  /** Form fields sent as given (and each made a condition). */
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresInSeconds: number;
}

/** An ISO 8601 time without milliseconds (`2026-12-04T01:02:03Z`). */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The signer of one context. */
function signer(context: S3PresignContext): SignatureV4 {
  return new SignatureV4({
    credentials: context.credentials,
    region: context.region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
}

async function resolvedCredentials(context: S3PresignContext): Promise<S3Credentials> {
  return typeof context.credentials === 'function' ? context.credentials() : context.credentials;
}

/**
 * A browser-based POST upload (SigV4 POST policy): the policy names every field as a condition,
 * the key exactly, the signing credential, date and session token, and expires after
 * `expiresInSeconds`; the form carries the policy (base64) and its signature.
 */
export async function presignPost(context: S3PresignContext, input: PresignPostInput): Promise<PresignedPost> {
  const now = context.now?.() ?? new Date();
  const signingDate = isoSeconds(now).replace(/[-:]/g, '');
  const credentials = await resolvedCredentials(context);
  const fields: Record<string, string> = {
    ...input.fields,
    bucket: input.bucket,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${createScope(signingDate.slice(0, 8), context.region, 's3')}`,
    'X-Amz-Date': signingDate,
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
  };
  const conditions = new Set<string>();
  for (const condition of input.conditions) conditions.add(JSON.stringify(condition));
  for (const [name, value] of Object.entries(fields)) conditions.add(JSON.stringify({ [name]: value }));
  conditions.add(JSON.stringify({ key: input.key }));
  const policy = Buffer.from(
    JSON.stringify({
      expiration: isoSeconds(new Date(now.getTime() + input.expiresInSeconds * 1000)),
      conditions: [...conditions].map((condition) => JSON.parse(condition) as unknown),
    }),
  ).toString('base64');
  const signature = await signer({ ...context, credentials }).sign(policy, { signingDate: now });
  const address = bucketAddress(input.bucket, context);
  return {
    url: formatUrl({ ...address, path: address.pathPrefix || '/' }),
    fields: { ...fields, key: input.key, Policy: policy, 'X-Amz-Signature': signature },
  };
}

export interface PresignGetInput {
  readonly bucket: string;
  readonly key: string;
  /** Query parameters of the GET (`response-cache-control`, `response-content-disposition`, ...). */
  readonly query?: Readonly<Record<string, string>>;
  readonly expiresInSeconds: number;
}

/** A query-signed GetObject URL (SigV4, unsigned payload, only `host` signed), as `getSignedUrl` makes it. */
export async function presignGet(context: S3PresignContext, input: PresignGetInput): Promise<string> {
  const address = bucketAddress(input.bucket, context);
  const request = new HttpRequest({
    protocol: address.protocol,
    hostname: address.hostname,
    ...(address.port !== undefined ? { port: address.port } : {}),
    method: 'GET',
    path: `${address.pathPrefix}/${encodeKeyPath(input.key)}`,
    query: { ...input.query, 'x-id': 'GetObject' },
    headers: {},
  });
  const presigner = new S3RequestPresigner({
    credentials: context.credentials,
    region: context.region,
    sha256: Sha256,
  });
  return formatUrl(
    await presigner.presign(request, {
      expiresIn: input.expiresInSeconds,
      signingDate: context.now?.() ?? new Date(),
    }),
  );
}
