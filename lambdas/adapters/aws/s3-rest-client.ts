/**
 * The S3 calls the Lambda functions make, as S3's REST API defines them, without the SDK's S3
 * client: eleven operations on objects (head, get, put, copy, delete, the two listings, Object
 * Lock retention and legal hold).
 *
 * Why: the `S3Client` brings S3's whole protocol machinery into a bundle (the endpoint rules,
 * the XML shape codec, flexible checksums, S3 Express sessions, about 100 KB minified), and that
 * alone put every function that calls S3 beside DynamoDB over the 300 KB budget of a lean
 * function. The pieces this module is made of are the SDK's own and already in every such
 * bundle for DynamoDB: `SignatureV4` signs (S3's flavour: the key path signed as sent, the
 * payload's SHA-256 in `x-amz-content-sha256`), the `NodeHttpHandler` sends over a keep-alive
 * agent, the SDK's `StandardRetryStrategy` and error classification decide retries (3 attempts,
 * the same backoff, throttling and 5xx and dropped connections retried), `parseXML` reads S3's
 * answers. Addressing is {@link bucketAddress} (virtual-hosted, or path-style under a custom
 * endpoint such as the local runtime's).
 *
 * Requests are those the SDK's `S3Client` sends for the same input: the same method, path,
 * query, body and S3 headers (`test/unit/evidence/s3-rest-client.test.ts` compares them on the
 * wire), with a checksum where S3 requires or the SDK adds one (CRC32 by default, SHA-256 when
 * asked). Errors carry S3's code as `name` and the HTTP status in `$metadata.httpStatusCode`, as
 * the SDK's do; a `200 OK` whose body is an `<Error>` (CopyObject) is an error. Not supported,
 * and refused by {@link s3PresignContextFromEnv}: FIPS and dual-stack endpoints.
 *
 * @example
 * ```ts
 * const s3 = new S3RestClient();
 * const head = await s3.headObject({ Bucket: 'kyc-intake', Key: 'intake/v/a/selfie' });
 * await s3.putObjectLegalHold({ Bucket: 'kyc-vault', Key: 'evidence/v/a/selfie', LegalHold: { Status: 'ON' } });
 * ```
 */
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { createHash } from 'node:crypto';
import { parseXML, XmlNode } from '@aws-sdk/xml-builder';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsServiceError, bodyBytes } from './aws-json-client.ts';
import { withRetries } from './sdk-retry.ts';
import { bucketAddress, encodeKeyPath, s3PresignContextFromEnv, type S3PresignContext } from './s3-presign.ts';

/** An error S3 answered (or a `200 OK` with an `<Error>` body): `name` is S3's code. */
export class S3ServiceError extends AwsServiceError {}

/** The name of an error whose answer has no body (HEAD), as the SDK names them. */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  301: 'PermanentRedirect',
  304: 'NotModified',
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'SlowDown',
};

export interface ObjectInput {
  readonly Bucket: string;
  readonly Key: string;
  readonly VersionId?: string;
}

/** Server-side encryption of a write (SSE-KMS with a bucket key, as every vault and rendition write). */
export interface WriteEncryption {
  readonly ServerSideEncryption?: 'aws:kms';
  readonly SSEKMSKeyId?: string;
  readonly BucketKeyEnabled?: boolean;
}

export interface PutObjectInput extends WriteEncryption {
  readonly Bucket: string;
  readonly Key: string;
  readonly Body: Uint8Array | string;
  readonly ContentType?: string;
  readonly CacheControl?: string;
  /** The checksum sent with the body (default CRC32, as the SDK's `WHEN_SUPPORTED`). */
  readonly ChecksumAlgorithm?: 'CRC32' | 'SHA256';
}

export interface CopyObjectInput extends WriteEncryption {
  readonly Bucket: string;
  readonly Key: string;
  /** `<bucket>/<url-encoded key>[?versionId=<id>]` */
  readonly CopySource: string;
  readonly MetadataDirective?: 'COPY' | 'REPLACE';
  readonly TaggingDirective?: 'COPY' | 'REPLACE';
  readonly StorageClass?: string;
  readonly ContentType?: string;
  /** The checksum S3 computes for the copy. */
  readonly ChecksumAlgorithm?: 'CRC32' | 'SHA256';
}

export interface ListObjectsV2Input {
  readonly Bucket: string;
  readonly Prefix?: string;
  readonly ContinuationToken?: string;
  readonly StartAfter?: string;
}

export interface ListObjectVersionsInput {
  readonly Bucket: string;
  readonly Prefix?: string;
  readonly KeyMarker?: string;
  readonly VersionIdMarker?: string;
}

export interface ObjectHeadOutput {
  readonly ContentLength?: number;
  readonly ContentType?: string;
  readonly VersionId?: string;
  readonly LastModified?: Date;
}

export interface GetObjectOutput extends ObjectHeadOutput {
  /** The object's bytes as they arrive (read it to the end or destroy it). */
  readonly Body: Readable;
}

export interface ListObjectsV2Output {
  readonly Contents: readonly { readonly Key: string; readonly LastModified?: Date; readonly Size?: number }[];
  readonly IsTruncated: boolean;
  readonly NextContinuationToken?: string;
}

export interface ObjectVersionEntry {
  readonly Key: string;
  readonly VersionId: string;
}

export interface ListObjectVersionsOutput {
  readonly Versions: readonly ObjectVersionEntry[];
  readonly DeleteMarkers: readonly ObjectVersionEntry[];
  readonly IsTruncated: boolean;
  readonly NextKeyMarker?: string;
  readonly NextVersionIdMarker?: string;
}

export interface S3RestClientOptions {
  /**
   * Region, credentials, endpoint and addressing, or where to read them at the first request
   * (default: the function's environment).
   */
  readonly context?: S3PresignContext | (() => S3PresignContext);
  /** How many times a request is tried in all (default 3, as the SDK). */
  readonly maxAttempts?: number;
  /** The HTTP handler (tests). */
  readonly httpHandler?: Pick<NodeHttpHandler, 'handle' | 'destroy'>;
}

type Query = Record<string, string>;

interface S3Request {
  readonly bucket: string;
  readonly key?: string;
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  readonly query?: Query;
  readonly headers?: Record<string, string | undefined>;
  readonly body?: Uint8Array | string;
  /**
   * The answer is XML, read within the attempt (so a broken read is retried); `required`: an
   * empty answer is S3 aborting the request (CopyObject), as the SDK treats it.
   */
  readonly xml?: 'optional' | 'required';
}

interface S3Response {
  readonly headers: Record<string, string>;
  /** The body as it arrives, unless the request asked for `xml`. */
  readonly body: Readable;
  /** The body read as text (requests with `xml`). */
  readonly xml: string;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An XML document of one element with text children, as the SDK serializes S3's request bodies (its `XmlNode`). */
function xmlBody(root: string, children: Readonly<Record<string, string>>): string {
  const node = new XmlNode(root).addAttribute('xmlns', XMLNS);
  for (const [name, text] of Object.entries(children)) node.addChildNode(XmlNode.of(name, text));
  return `<?xml version="1.0" encoding="UTF-8"?>${node.toString()}`;
}

/** The checksum headers of a body (`x-amz-checksum-<algorithm>`, base64), as the SDK's flexible checksums send them. */
function checksumHeaders(body: Uint8Array | string, algorithm: 'CRC32' | 'SHA256'): Record<string, string> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  if (algorithm === 'SHA256') {
    return {
      'x-amz-sdk-checksum-algorithm': 'SHA256',
      'x-amz-checksum-sha256': createHash('sha256').update(bytes).digest('base64'),
    };
  }
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(bytes));
  return { 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-amz-checksum-crc32': crc.toString('base64') };
}

/** The encryption headers of a write. */
function encryptionHeaders(input: WriteEncryption): Record<string, string | undefined> {
  return {
    'x-amz-server-side-encryption': input.ServerSideEncryption,
    'x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId,
    'x-amz-server-side-encryption-bucket-key-enabled':
      input.BucketKeyEnabled === undefined ? undefined : String(input.BucketKeyEnabled),
  };
}

/** Every byte of an answer's body. */
export { bodyBytes };

const text = async (body: Readable): Promise<string> => (await bodyBytes(body)).toString('utf8');

type XmlValue = string | XmlObject | XmlValue[];
interface XmlObject {
  [name: string]: XmlValue;
}

/** A repeated element as a list (`parseXML` gives one occurrence as the element itself). */
function list(value: XmlValue | undefined): XmlObject[] {
  if (value === undefined || typeof value === 'string') return [];
  return (Array.isArray(value) ? value : [value]).filter((entry): entry is XmlObject => typeof entry === 'object');
}

function field(object: XmlObject | undefined, name: string): string | undefined {
  const value = object?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The root element of an XML answer (an empty object for an empty answer). */
function root(xml: string, name: string): XmlObject {
  if (xml.trim() === '') return {};
  const document = parseXML(xml) as XmlObject;
  const element = document[name];
  if (element === undefined) throw new S3ServiceError('InvalidResponse', `expected <${name}> from S3`, 200);
  return typeof element === 'object' && !Array.isArray(element) ? element : {};
}

/** S3's `<Error>` answer, or nothing where the answer is not one (an empty body, another document). */
function errorOf(xml: string): XmlObject | undefined {
  try {
    const element = (parseXML(xml) as XmlObject).Error;
    return typeof element === 'object' && !Array.isArray(element) ? element : undefined;
  } catch {
    return undefined;
  }
}

const date = (value: string | undefined): Date | undefined => (value === undefined ? undefined : new Date(value));

function head(headers: Record<string, string>): ObjectHeadOutput {
  const length = headers['content-length'];
  return {
    ...(length !== undefined ? { ContentLength: Number(length) } : {}),
    ...(headers['content-type'] ? { ContentType: headers['content-type'] } : {}),
    ...versionOutput(headers),
    ...(headers['last-modified'] ? { LastModified: new Date(headers['last-modified']) } : {}),
  };
}

/** The `versionId` query parameter of an object version, when one is named. */
const versionQuery = (input: ObjectInput): Query => (input.VersionId ? { versionId: input.VersionId } : {});

function versionOutput(headers: Record<string, string>): { VersionId?: string } {
  return headers['x-amz-version-id'] ? { VersionId: headers['x-amz-version-id'] } : {};
}

/** The operations of {@link S3RestClient}, as the adapters take them (tests give a fake). */
export type S3Operations = Pick<
  S3RestClient,
  | 'headObject'
  | 'getObject'
  | 'putObject'
  | 'copyObject'
  | 'deleteObject'
  | 'listObjectsV2'
  | 'listObjectVersions'
  | 'getObjectRetention'
  | 'putObjectRetention'
  | 'getObjectLegalHold'
  | 'putObjectLegalHold'
>;

/** S3's REST operations on objects that the functions call. */
export class S3RestClient {
  private contextValue: S3PresignContext | undefined;
  private signerValue: SignatureV4 | undefined;
  private readonly http: Pick<NodeHttpHandler, 'handle' | 'destroy'>;
  private readonly retries: StandardRetryStrategy;

  public constructor(private readonly options: S3RestClientOptions = {}) {
    if (typeof options.context === 'object') this.contextValue = options.context;
    this.http = options.httpHandler ?? new NodeHttpHandler();
    this.retries = new StandardRetryStrategy(options.maxAttempts ?? 3);
  }

  /** The context, read from the environment at the first request (a function that never calls S3 never reads it). */
  private get context(): S3PresignContext {
    this.contextValue ??=
      typeof this.options.context === 'function' ? this.options.context() : s3PresignContextFromEnv();
    return this.contextValue;
  }

  private get signer(): SignatureV4 {
    this.signerValue ??= new SignatureV4({
      credentials: this.context.credentials,
      region: this.context.region,
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: true,
    });
    return this.signerValue;
  }

  /** Closes the kept-alive connections (a command-line tool that should exit). */
  public destroy(): void {
    this.http.destroy();
  }

  public async headObject(input: ObjectInput): Promise<ObjectHeadOutput> {
    const response = await this.send({
      method: 'HEAD',
      bucket: input.Bucket,
      key: input.Key,
      query: versionQuery(input),
    });
    response.body.resume();
    return head(response.headers);
  }

  public async getObject(input: ObjectInput & { readonly Range?: string }): Promise<GetObjectOutput> {
    const response = await this.send({
      method: 'GET',
      bucket: input.Bucket,
      key: input.Key,
      query: { ...versionQuery(input), 'x-id': 'GetObject' },
      headers: { range: input.Range },
    });
    return { ...head(response.headers), Body: response.body };
  }

  public async putObject(input: PutObjectInput): Promise<{ VersionId?: string }> {
    const response = await this.send({
      method: 'PUT',
      bucket: input.Bucket,
      key: input.Key,
      query: { 'x-id': 'PutObject' },
      headers: {
        'cache-control': input.CacheControl,
        'content-type': input.ContentType,
        ...encryptionHeaders(input),
        ...checksumHeaders(input.Body, input.ChecksumAlgorithm ?? 'CRC32'),
      },
      body: input.Body,
    });
    response.body.resume();
    return versionOutput(response.headers);
  }

  public async copyObject(input: CopyObjectInput): Promise<{ VersionId?: string }> {
    const response = await this.send({
      method: 'PUT',
      bucket: input.Bucket,
      key: input.Key,
      query: { 'x-id': 'CopyObject' },
      headers: {
        'x-amz-copy-source': input.CopySource,
        'x-amz-checksum-algorithm': input.ChecksumAlgorithm,
        'content-type': input.ContentType,
        'x-amz-metadata-directive': input.MetadataDirective,
        'x-amz-tagging-directive': input.TaggingDirective,
        'x-amz-storage-class': input.StorageClass,
        ...encryptionHeaders(input),
      },
      xml: 'required',
    });
    root(response.xml, 'CopyObjectResult');
    return versionOutput(response.headers);
  }

  public async deleteObject(input: ObjectInput): Promise<{ VersionId?: string }> {
    const response = await this.send({
      method: 'DELETE',
      bucket: input.Bucket,
      key: input.Key,
      query: { ...versionQuery(input), 'x-id': 'DeleteObject' },
    });
    response.body.resume();
    return versionOutput(response.headers);
  }

  public async listObjectsV2(input: ListObjectsV2Input): Promise<ListObjectsV2Output> {
    const response = await this.send({
      method: 'GET',
      bucket: input.Bucket,
      query: {
        ...(input.ContinuationToken ? { 'continuation-token': input.ContinuationToken } : {}),
        'list-type': '2',
        ...(input.Prefix !== undefined ? { prefix: input.Prefix } : {}),
        ...(input.StartAfter ? { 'start-after': input.StartAfter } : {}),
      },
      xml: 'optional',
    });
    const result = root(response.xml, 'ListBucketResult');
    const token = field(result, 'NextContinuationToken');
    return {
      Contents: list(result.Contents).flatMap((entry) => {
        const key = field(entry, 'Key');
        if (key === undefined) return [];
        const size = field(entry, 'Size');
        const lastModified = date(field(entry, 'LastModified'));
        return [
          {
            Key: key,
            ...(lastModified ? { LastModified: lastModified } : {}),
            ...(size ? { Size: Number(size) } : {}),
          },
        ];
      }),
      IsTruncated: field(result, 'IsTruncated') === 'true',
      ...(token ? { NextContinuationToken: token } : {}),
    };
  }

  public async listObjectVersions(input: ListObjectVersionsInput): Promise<ListObjectVersionsOutput> {
    const response = await this.send({
      method: 'GET',
      bucket: input.Bucket,
      query: {
        ...(input.KeyMarker ? { 'key-marker': input.KeyMarker } : {}),
        ...(input.Prefix !== undefined ? { prefix: input.Prefix } : {}),
        ...(input.VersionIdMarker ? { 'version-id-marker': input.VersionIdMarker } : {}),
        versions: '',
      },
      xml: 'optional',
    });
    const result = root(response.xml, 'ListVersionsResult');
    const entries = (value: XmlValue | undefined): ObjectVersionEntry[] =>
      list(value).flatMap((entry) => {
        const key = field(entry, 'Key');
        const versionId = field(entry, 'VersionId');
        return key !== undefined && versionId !== undefined ? [{ Key: key, VersionId: versionId }] : [];
      });
    const nextKey = field(result, 'NextKeyMarker');
    const nextVersion = field(result, 'NextVersionIdMarker');
    return {
      Versions: entries(result.Version),
      DeleteMarkers: entries(result.DeleteMarker),
      IsTruncated: field(result, 'IsTruncated') === 'true',
      ...(nextKey ? { NextKeyMarker: nextKey } : {}),
      ...(nextVersion ? { NextVersionIdMarker: nextVersion } : {}),
    };
  }

  public async getObjectRetention(
    input: ObjectInput,
  ): Promise<{ Retention?: { Mode?: string; RetainUntilDate?: Date } }> {
    const response = await this.send({
      method: 'GET',
      bucket: input.Bucket,
      key: input.Key,
      query: { retention: '', ...versionQuery(input) },
      xml: 'optional',
    });
    const retention = root(response.xml, 'Retention');
    const mode = field(retention, 'Mode');
    const until = date(field(retention, 'RetainUntilDate'));
    return { Retention: { ...(mode ? { Mode: mode } : {}), ...(until ? { RetainUntilDate: until } : {}) } };
  }

  public async putObjectRetention(
    input: ObjectInput & {
      readonly Retention: { readonly Mode: 'COMPLIANCE' | 'GOVERNANCE'; readonly RetainUntilDate: Date };
    },
  ): Promise<void> {
    await this.putSubresource(input, 'retention', {
      Mode: input.Retention.Mode,
      RetainUntilDate: input.Retention.RetainUntilDate.toISOString(),
    });
  }

  public async getObjectLegalHold(input: ObjectInput): Promise<{ LegalHold?: { Status?: string } }> {
    const response = await this.send({
      method: 'GET',
      bucket: input.Bucket,
      key: input.Key,
      query: { 'legal-hold': '', ...versionQuery(input) },
      xml: 'optional',
    });
    const status = field(root(response.xml, 'LegalHold'), 'Status');
    return { LegalHold: status ? { Status: status } : {} };
  }

  public async putObjectLegalHold(
    input: ObjectInput & { readonly LegalHold: { readonly Status: 'ON' | 'OFF' } },
  ): Promise<void> {
    await this.putSubresource(input, 'legal-hold', { Status: input.LegalHold.Status });
  }

  /**
   * PUTs an Object Lock subresource (`?retention`, `?legal-hold`): an XML body of one element
   * (`Retention`, `LegalHold`), with the checksum S3 requires there (CRC32, as the SDK sends it).
   */
  private async putSubresource(
    input: ObjectInput,
    subresource: 'retention' | 'legal-hold',
    children: Readonly<Record<string, string>>,
  ): Promise<void> {
    const body = xmlBody(subresource === 'retention' ? 'Retention' : 'LegalHold', children);
    const response = await this.send({
      method: 'PUT',
      bucket: input.Bucket,
      key: input.Key,
      query: { [subresource]: '', ...versionQuery(input) },
      headers: { 'content-type': 'application/xml', ...checksumHeaders(body, 'CRC32') },
      body,
    });
    response.body.resume();
  }

  /** Sends a request, retrying as the SDK's standard retry mode does; an answer of 300 or more throws. */
  private send(request: S3Request): Promise<S3Response> {
    return withRetries(this.retries, 's3', () => this.attempt(request));
  }

  private async attempt(request: S3Request): Promise<S3Response> {
    const address = bucketAddress(request.bucket, this.context);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) if (value !== undefined) headers[name] = value;
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    headers.host = address.hostname + (address.port !== undefined ? `:${address.port}` : '');
    const unsigned = new HttpRequest({
      protocol: address.protocol,
      hostname: address.hostname,
      ...(address.port !== undefined ? { port: address.port } : {}),
      method: request.method,
      path: `${address.pathPrefix}/${request.key === undefined ? '' : encodeKeyPath(request.key)}`,
      query: request.query ?? {},
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const signed = await this.signer.sign(unsigned, { signingDate: this.context.now?.() ?? new Date() });
    const { response } = await this.http.handle(signed as HttpRequest);
    const body = response.body as Readable;
    const requestId = response.headers['x-amz-request-id'];
    if (response.statusCode >= 300) {
      const error = request.method === 'HEAD' ? undefined : errorOf(await text(body).catch(() => ''));
      throw new S3ServiceError(
        field(error, 'Code') ?? STATUS_NAMES[response.statusCode] ?? `Http${response.statusCode}`,
        field(error, 'Message') ?? '',
        response.statusCode,
        requestId,
      );
    }
    if (request.xml === undefined) return { headers: response.headers, body, xml: '' };
    const xml = await text(body);
    // S3 may fail a copy after answering 200: the answer is then empty or an <Error> (retried as a 503, as the SDK does).
    if (request.xml === 'required' && xml.trim() === '') {
      throw new S3ServiceError('InternalError', 'S3 aborted request', 503, requestId);
    }
    const error = xml.trimEnd().endsWith('</Error>') ? errorOf(xml) : undefined;
    if (error)
      throw new S3ServiceError(field(error, 'Code') ?? 'InternalError', field(error, 'Message') ?? '', 503, requestId);
    return { headers: response.headers, body, xml };
  }
}
