/**
 * S3 Object Lock for the local S3 (s3rver has none): COMPLIANCE retention and legal hold per
 * object of the buckets the template creates with Object Lock, kept in the data folder
 * (write-then-rename), so account closure, legal holds and the deletion rules are testable end
 * to end. What it enforces, as S3 does for a COMPLIANCE-locked version:
 * - every object written to a locked bucket gets the bucket's default retention;
 * - `PutObjectRetention` may lengthen a COMPLIANCE retention, never shorten it (403 AccessDenied);
 * - `DeleteObject` is refused with 403 AccessDenied while the retention runs or a legal hold is
 *   on; a multi-object delete on a locked bucket is refused outright (nothing in the app sends one);
 * - `GetObjectLockConfiguration` shows the bucket's default retention (`ObjectLockConfigurationNotFoundError` elsewhere).
 * One difference, stated: S3 keeps every version of a versioned bucket, so a plain DELETE only
 * adds a delete marker there; s3rver has no versions, so the local delete is refused instead.
 * The state file is the source of truth: an operator (or a test) may edit it, e.g. to move a
 * retention date into the past; it is read again whenever its modification time changes.
 *
 * @example
 * ```ts
 * const lock = new LocalObjectLock(join(dataDir, 's3-object-lock.json'), { 'kyc-vault': { days: 1827 } });
 * lock.objectCreated('kyc-vault', 'evidence/v1/a1/selfie');
 * ```
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';

interface ObjectLockState {
  retainUntil?: string;
  legalHold?: boolean;
}

type State = Record<string, Record<string, ObjectLockState>>;

const DAY_MS = 86_400_000;

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

function send(res: ServerResponse, status: number, body = ''): void {
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const tag = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];

export class LocalObjectLock {
  private state: State;
  /** Modification time of the state file as last read or written. */
  private loadedMtimeMs = 0;

  public constructor(
    private readonly stateFile: string,
    /** Locked buckets and their default COMPLIANCE retention in days. */
    private readonly buckets: Readonly<Record<string, { readonly days: number }>>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.state = {};
    this.reload();
  }

  /** Reads the state file again when it changed on disk since it was last read or written. */
  private reload(): void {
    if (!existsSync(this.stateFile)) return;
    const mtimeMs = statSync(this.stateFile).mtimeMs;
    if (mtimeMs === this.loadedMtimeMs) return;
    this.state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as State;
    this.loadedMtimeMs = mtimeMs;
  }

  /** Forgets a deleted object's lock state (a new object under the key starts afresh). */
  public objectDeleted(bucket: string, key: string): void {
    this.reload();
    if (!this.state[bucket]?.[key]) return;
    const { [key]: _deleted, ...rest } = this.state[bucket];
    this.persist({ ...this.state, [bucket]: rest });
  }

  public isLocked(bucket: string): boolean {
    return this.buckets[bucket] !== undefined;
  }

  /** Applies the bucket's default retention to a new object (never shortening an existing one). */
  public objectCreated(bucket: string, key: string): void {
    this.reload();
    const rule = this.buckets[bucket];
    if (!rule) return;
    const until = new Date(this.now().getTime() + rule.days * DAY_MS);
    const current = this.state[bucket]?.[key];
    if (current?.retainUntil && Date.parse(current.retainUntil) >= until.getTime()) return;
    this.update(bucket, key, { ...current, retainUntil: until.toISOString() });
  }

  /**
   * The headers S3 adds to a GET or HEAD of a locked object (`x-amz-object-lock-mode`,
   * `-retain-until-date`, `-legal-hold`), so `aws s3api head-object` shows the lock; none for
   * an object without lock state.
   */
  public objectHeaders(bucket: string, key: string): Record<string, string> {
    this.reload();
    const current = this.state[bucket]?.[key];
    if (!current) return {};
    return {
      ...(current.retainUntil
        ? { 'x-amz-object-lock-mode': 'COMPLIANCE', 'x-amz-object-lock-retain-until-date': current.retainUntil }
        : {}),
      'x-amz-object-lock-legal-hold': current.legalHold ? 'ON' : 'OFF',
    };
  }

  /** Why `key` may not be deleted now, or undefined when it may. */
  public deletionBlockedBy(bucket: string, key: string): 'legal hold' | 'retention' | undefined {
    this.reload();
    const current = this.state[bucket]?.[key];
    if (!current) return undefined;
    if (current.legalHold) return 'legal hold';
    if (current.retainUntil && Date.parse(current.retainUntil) > this.now().getTime()) return 'retention';
    return undefined;
  }

  /**
   * Answers Object Lock requests (`?retention`, `?legal-hold`) and refuses deletes of locked
   * objects. Resolves true when it answered; false lets the request through to s3rver.
   */
  public async intercept(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    this.reload();
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const method = req.method ?? 'GET';
    if (url.searchParams.has('object-lock') && key === '') return this.bucketConfiguration(res, bucket, method);
    const subresource = url.searchParams.has('retention')
      ? 'retention'
      : url.searchParams.has('legal-hold')
        ? 'legal-hold'
        : undefined;
    if (subresource) {
      if (!this.isLocked(bucket)) {
        send(res, 400, errorXml('InvalidRequest', 'Bucket is missing Object Lock Configuration'));
        return true;
      }
      if (method === 'GET') return this.read(res, bucket, key, subresource);
      if (method === 'PUT') return this.write(req, res, bucket, key, subresource);
      send(res, 405, errorXml('MethodNotAllowed', 'The specified method is not allowed against this resource.'));
      return true;
    }
    if (!this.isLocked(bucket)) return false;
    if (method === 'DELETE' && key !== '') {
      const blocked = this.deletionBlockedBy(bucket, key);
      if (blocked) {
        send(res, 403, errorXml('AccessDenied', `Access Denied because object protected by object lock (${blocked}).`));
        return true;
      }
    }
    if (method === 'POST' && url.searchParams.has('delete')) {
      // Locally the objects of a locked bucket are deleted one at a time, each checked above.
      send(
        res,
        403,
        errorXml(
          'AccessDenied',
          'Multi-object delete is refused on a locked bucket locally; delete one object at a time.',
        ),
      );
      return true;
    }
    return false;
  }

  /**
   * `aws s3api get-object-lock-configuration`: the bucket's default COMPLIANCE retention as the
   * template sets it, or S3's `ObjectLockConfigurationNotFoundError` for a bucket without Object
   * Lock. Changing it (PUT) is not emulated: the template is the configuration.
   */
  private bucketConfiguration(res: ServerResponse, bucket: string, method: string): boolean {
    const rule = this.buckets[bucket];
    if (method !== 'GET') {
      send(
        res,
        501,
        errorXml('NotImplemented', 'The local S3 takes Object Lock configuration from the template only.'),
      );
    } else if (!rule) {
      send(
        res,
        404,
        errorXml('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'),
      );
    } else {
      send(
        res,
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>${rule.days}</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
      );
    }
    return true;
  }

  private read(res: ServerResponse, bucket: string, key: string, subresource: string): boolean {
    const current = this.state[bucket]?.[key];
    if (subresource === 'retention') {
      if (!current?.retainUntil) {
        send(
          res,
          404,
          errorXml('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration'),
        );
        return true;
      }
      send(
        res,
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>COMPLIANCE</Mode><RetainUntilDate>${current.retainUntil}</RetainUntilDate></Retention>`,
      );
      return true;
    }
    send(
      res,
      200,
      `<?xml version="1.0" encoding="UTF-8"?>\n<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${current?.legalHold ? 'ON' : 'OFF'}</Status></LegalHold>`,
    );
    return true;
  }

  private async write(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    subresource: string,
  ): Promise<boolean> {
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      send(res, 400, errorXml('MalformedXML', 'The XML you provided was not well-formed.'));
      return true;
    }
    const current = this.state[bucket]?.[key];
    if (!current) {
      send(res, 404, errorXml('NoSuchKey', 'The specified key does not exist.'));
      return true;
    }
    if (subresource === 'legal-hold') {
      const status = tag(body, 'Status');
      if (status !== 'ON' && status !== 'OFF') {
        send(res, 400, errorXml('MalformedXML', 'LegalHold Status must be ON or OFF.'));
        return true;
      }
      this.update(bucket, key, { ...current, legalHold: status === 'ON' });
      send(res, 200);
      return true;
    }
    const mode = tag(body, 'Mode');
    const until = Date.parse(tag(body, 'RetainUntilDate') ?? '');
    if (mode !== 'COMPLIANCE' || Number.isNaN(until)) {
      send(res, 400, errorXml('MalformedXML', 'Retention needs Mode COMPLIANCE and a RetainUntilDate.'));
      return true;
    }
    if (current.retainUntil && until < Date.parse(current.retainUntil)) {
      send(res, 403, errorXml('AccessDenied', 'Access Denied: COMPLIANCE retention cannot be shortened.'));
      return true;
    }
    this.update(bucket, key, { ...current, retainUntil: new Date(until).toISOString() });
    send(res, 200);
    return true;
  }

  private update(bucket: string, key: string, value: ObjectLockState): void {
    this.persist({ ...this.state, [bucket]: { ...this.state[bucket], [key]: value } });
  }

  private persist(state: State): void {
    this.state = state;
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state));
    renameSync(temporary, this.stateFile);
    this.loadedMtimeMs = statSync(this.stateFile).mtimeMs;
  }
}
