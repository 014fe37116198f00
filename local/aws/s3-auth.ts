/**
 * What S3 checks before it touches an object, for the local S3: AWS Signature Version 4 on
 * every request (Authorization header or presigned query) and, for browser uploads, the POST
 * policy (its signature, its expiration and every condition). s3rver checks none of this, so
 * without it an unsigned caller on loopback could read the vault, and an expired, altered or
 * absent upload policy would be accepted.
 *
 * Errors are S3's own codes and statuses (`AccessDenied` 403, `SignatureDoesNotMatch` 403,
 * `EntityTooLarge`/`EntityTooSmall` 400, ...), answered as S3's XML error document.
 *
 * What is not checked: the payload hash of header-signed requests (`x-amz-content-sha256` is
 * covered by the signature, the body is not re-hashed) and `aws-chunked` chunk signatures.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';

/** An S3 error to answer with. */
export class S3AuthError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3AuthError';
  }
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Largest clock difference S3 accepts on a header-signed request. */
const MAX_SKEW_MS = 15 * 60 * 1000;

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

function sameSignature(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 3986 encoding, as SigV4 canonicalises query names and values. */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new S3AuthError(400, 'InvalidArgument', 'Malformed percent-encoding in the query string');
  }
}

/** `20260101T000000Z` -> Date, or undefined. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

interface ParsedCredential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

function parseCredential(value: string, credentials: S3Credentials): ParsedCredential {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') {
    throw new S3AuthError(400, 'AuthorizationHeaderMalformed', 'The credential scope is malformed');
  }
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (accessKeyId !== credentials.accessKeyId) {
    throw new S3AuthError(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  }
  if (service !== 's3') throw new S3AuthError(400, 'AuthorizationHeaderMalformed', `Wrong service ${service}`);
  return { accessKeyId, date, region, service };
}

export interface SignedRequest {
  readonly method: string;
  /** Path and query exactly as sent (`/bucket/key%20name?versionId=1`). */
  readonly rawUrl: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Verifies the SigV4 signature of `request` (Authorization header or presigned query) with
 * `credentials`; throws an `S3AuthError` (`AccessDenied` for an unsigned or expired request).
 *
 * @example
 * ```ts
 * verifySigV4({ method: req.method!, rawUrl: req.url!, headers: req.headers }, localCredentials);
 * ```
 */
export function verifySigV4(request: SignedRequest, credentials: S3Credentials, now: Date = new Date()): void {
  const queryStart = request.rawUrl.indexOf('?');
  const rawPath = queryStart < 0 ? request.rawUrl : request.rawUrl.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? '' : request.rawUrl.slice(queryStart + 1);
  const query: Array<[string, string]> = rawQuery
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0
        ? [decode(pair), '']
        : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1).replace(/\+/g, '%20'))];
    });
  const queryValue = (name: string): string | undefined => query.find(([key]) => key === name)?.[1];
  const authorization = request.headers.authorization;
  const presigned = queryValue('X-Amz-Signature') !== undefined;

  let credential: ParsedCredential;
  let signedHeaders: string[];
  let provided: string;
  let amzDate: string;
  let payloadHash: string;
  if (authorization !== undefined && !presigned) {
    const match = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
      authorization.trim(),
    );
    if (!match) throw new S3AuthError(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
    credential = parseCredential(match[1]!, credentials);
    signedHeaders = match[2]!.split(';');
    provided = match[3]!;
    amzDate = String(request.headers['x-amz-date'] ?? '');
    const requestTime = parseAmzDate(amzDate);
    if (!requestTime)
      throw new S3AuthError(403, 'AccessDenied', 'AWS authentication requires a valid x-amz-date header');
    if (Math.abs(now.getTime() - requestTime.getTime()) > MAX_SKEW_MS) {
      throw new S3AuthError(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
      );
    }
    payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
    if (!payloadHash)
      throw new S3AuthError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  } else if (presigned) {
    if (queryValue('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      throw new S3AuthError(
        400,
        'AuthorizationQueryParametersError',
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
      );
    }
    credential = parseCredential(queryValue('X-Amz-Credential') ?? '', credentials);
    signedHeaders = (queryValue('X-Amz-SignedHeaders') ?? '').split(';');
    provided = queryValue('X-Amz-Signature') ?? '';
    amzDate = queryValue('X-Amz-Date') ?? '';
    const requestTime = parseAmzDate(amzDate);
    const expires = Number(queryValue('X-Amz-Expires'));
    if (!requestTime || !Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      throw new S3AuthError(
        400,
        'AuthorizationQueryParametersError',
        'X-Amz-Date and X-Amz-Expires are required and valid',
      );
    }
    if (now.getTime() > requestTime.getTime() + expires * 1000) {
      throw new S3AuthError(403, 'AccessDenied', 'Request has expired');
    }
    payloadHash = 'UNSIGNED-PAYLOAD';
  } else {
    throw new S3AuthError(403, 'AccessDenied', 'Access Denied');
  }
  if (!signedHeaders.includes('host')) {
    throw new S3AuthError(400, 'AuthorizationHeaderMalformed', 'The host header must be signed');
  }

  const canonicalQuery = query
    .filter(([name]) => !(presigned && name === 'X-Amz-Signature'))
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    rawPath || '/',
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${credential.date}/${credential.region}/${credential.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = hmac(
    signingKey(credentials.secretAccessKey, credential.date, credential.region, credential.service),
    stringToSign,
  ).toString('hex');
  if (!sameSignature(expected, provided)) {
    throw new S3AuthError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
}

/** The parts of a browser POST upload S3 checks. */
export interface PostForm {
  /** Form fields, names in lower case (S3 matches them case-insensitively). */
  readonly fields: Readonly<Record<string, string>>;
  /** Size of the `file` part in bytes (undefined: no file part). */
  readonly fileSize?: number;
}

type Condition = Record<string, unknown> | unknown[];

function policyFailure(condition: unknown): S3AuthError {
  return new S3AuthError(
    403,
    'AccessDenied',
    `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`,
  );
}

/**
 * Verifies a POST upload to `bucket` as S3 does: a policy must be present, signed with SigV4
 * by `credentials` (over the base64 policy), not expired, and every condition must hold —
 * exact matches, `eq`, `starts-with`, `content-length-range` — and every form field (but
 * `policy`, `x-amz-signature`, `file` and `x-ignore-*`) must be named by a condition.
 *
 * @example
 * ```ts
 * verifyPostPolicy('kyc-intake', await readPostForm(body, req.headers), localCredentials);
 * ```
 */
export function verifyPostPolicy(
  bucket: string,
  form: PostForm,
  credentials: S3Credentials,
  now: Date = new Date(),
): void {
  const { fields } = form;
  const policyBase64 = fields.policy;
  if (!policyBase64) {
    // No policy is an anonymous upload; Block Public Access refuses it.
    throw new S3AuthError(403, 'AccessDenied', 'Access Denied');
  }
  if (fields['x-amz-algorithm'] !== 'AWS4-HMAC-SHA256') {
    throw new S3AuthError(400, 'InvalidArgument', 'x-amz-algorithm must be AWS4-HMAC-SHA256');
  }
  const credential = parseCredential(fields['x-amz-credential'] ?? '', credentials);
  const expected = hmac(
    signingKey(credentials.secretAccessKey, credential.date, credential.region, credential.service),
    policyBase64,
  ).toString('hex');
  if (!sameSignature(expected, fields['x-amz-signature'] ?? '')) {
    throw new S3AuthError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8')) as typeof policy;
  } catch {
    throw new S3AuthError(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : Number.NaN;
  if (Number.isNaN(expiration)) throw new S3AuthError(400, 'InvalidPolicyDocument', 'Invalid Policy: no expiration');
  if (now.getTime() > expiration)
    throw new S3AuthError(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  if (!Array.isArray(policy.conditions)) {
    throw new S3AuthError(400, 'InvalidPolicyDocument', 'Invalid Policy: conditions must be a list');
  }

  const valueOf = (name: string): string | undefined => (name === 'bucket' ? bucket : fields[name]);
  const covered = new Set<string>();
  for (const condition of policy.conditions as Condition[]) {
    if (Array.isArray(condition)) {
      const [operator, subject, value] = condition as [unknown, unknown, unknown];
      if (operator === 'content-length-range') {
        const [min, max] = [Number(subject), Number(value)];
        const size = form.fileSize ?? 0;
        if (size > max)
          throw new S3AuthError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
        if (size < min)
          throw new S3AuthError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
        continue;
      }
      if (typeof subject !== 'string' || !subject.startsWith('$') || typeof value !== 'string') {
        throw new S3AuthError(
          400,
          'InvalidPolicyDocument',
          `Invalid Policy: malformed condition ${JSON.stringify(condition)}`,
        );
      }
      const name = subject.slice(1).toLowerCase();
      covered.add(name);
      const actual = valueOf(name) ?? '';
      const holds =
        operator === 'eq'
          ? actual === value
          : operator === 'starts-with'
            ? name === 'content-type'
              ? actual.split(',').every((part) => part.trim().startsWith(value))
              : actual.startsWith(value)
            : false;
      if (!holds) throw policyFailure(condition);
    } else if (condition && typeof condition === 'object') {
      for (const [rawName, value] of Object.entries(condition)) {
        const name = rawName.toLowerCase();
        covered.add(name);
        if (valueOf(name) !== value) throw policyFailure(condition);
      }
    } else {
      throw new S3AuthError(400, 'InvalidPolicyDocument', 'Invalid Policy: malformed condition');
    }
  }
  for (const name of Object.keys(fields)) {
    if (['policy', 'x-amz-signature', 'file'].includes(name) || name.startsWith('x-ignore-')) continue;
    if (!covered.has(name)) {
      throw new S3AuthError(403, 'AccessDenied', `Invalid according to Policy: Extra input fields: ${name}`);
    }
  }
}

interface BusboyInstance extends NodeJS.WritableStream {
  on(event: 'field', listener: (name: string, value: string) => void): this;
  on(
    event: 'file',
    listener: (name: string, stream: Readable, filename: string, encoding: string, mime: string) => void,
  ): this;
  on(event: 'finish' | 'error', listener: (error?: Error) => void): this;
}
type BusboyConstructor = new (options: { headers: IncomingHttpHeaders }) => BusboyInstance;

/**
 * Parses a buffered `multipart/form-data` POST body into its fields and the size of its file.
 * Fields after the file are ignored, as S3 does.
 */
export function readPostForm(body: Buffer, headers: IncomingHttpHeaders): Promise<PostForm> {
  const Busboy = createRequire(import.meta.url)('busboy') as BusboyConstructor;
  return new Promise((resolve, reject) => {
    let parser: BusboyInstance;
    try {
      parser = new Busboy({ headers });
    } catch {
      reject(
        new S3AuthError(
          400,
          'MalformedPOSTRequest',
          'The body of your POST request is not well-formed multipart/form-data.',
        ),
      );
      return;
    }
    const fields: Record<string, string> = {};
    let fileSize: number | undefined;
    let fileSeen = false;
    parser.on('field', (name, value) => {
      if (fileSeen) return;
      if (name.toLowerCase() === 'file') {
        // A file part without a filename arrives as a field (busboy); it is still the upload.
        fileSeen = true;
        fileSize = Buffer.byteLength(value);
        return;
      }
      fields[name.toLowerCase()] = value;
    });
    parser.on('file', (_name, stream) => {
      fileSeen = true;
      fileSize = 0;
      stream.on('data', (chunk: Buffer) => {
        fileSize = (fileSize ?? 0) + chunk.length;
      });
    });
    parser.on('finish', () => resolve({ fields, ...(fileSize !== undefined ? { fileSize } : {}) }));
    parser.on('error', () =>
      reject(
        new S3AuthError(
          400,
          'MalformedPOSTRequest',
          'The body of your POST request is not well-formed multipart/form-data.',
        ),
      ),
    );
    Readable.from([body]).pipe(parser);
  });
}
