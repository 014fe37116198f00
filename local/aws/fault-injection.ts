/**
 * Fault injection for the local twin: a small HTTP proxy placed in front of a local service
 * (S3, DynamoDB Local, KMS, Rekognition) that answers some requests with the failures AWS
 * produces under load, by configuration. The handlers' SDK clients talk to the proxy (their
 * `AWS_ENDPOINT_URL_<SERVICE>`), so their own retries, the workflow's Retry/Catch and the
 * event deliveries' retries are exercised exactly as in AWS.
 *
 * A fault plan is a list of rules; the first rule matching a request's service and operation
 * decides, with its `rate` (a seeded draw, so runs repeat) and an optional `times` budget:
 * - `throttle`: the service's throttling error (`ThrottlingException` / DynamoDB
 *   `ProvisionedThroughputExceededException` with 400, S3 `SlowDown` with 503);
 * - `server-error`: a 5xx (`InternalServerError` / `KMSInternalException` / S3 `InternalError`);
 * - `latency`: the request is forwarded after `latencyMs`;
 * - `drop`: the connection is closed without an answer (the SDK sees a socket error).
 * The plan comes from `KYC_FAULT_PLAN` (JSON text, or a path to a JSON file) or from
 * `startRuntime({ faultPlan })`; with one, every handler call to those four services goes
 * through a proxy, and `runtime.setFaultPlan()` switches plans while running.
 *
 * @example
 * ```json
 * { "seed": 7, "rules": [
 *   { "service": "rekognition", "operation": "CompareFaces", "fault": "throttle", "rate": 0.5 },
 *   { "service": "dynamodb", "operation": "*", "fault": "latency", "rate": 0.1, "latencyMs": 300 }
 * ] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { listenOnLoopback } from './json-protocol-server.ts';

export const FAULT_SERVICES = ['s3', 'dynamodb', 'kms', 'rekognition'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

const faultRuleSchema = z.strictObject({
  service: z.enum(FAULT_SERVICES),
  /** API operation name (`CompareFaces`, `PutItem`, `GetObject`, `PostObject`), or `*`. */
  operation: z.string().min(1).max(64),
  fault: z.enum(['throttle', 'server-error', 'latency', 'drop']),
  /** Fraction of matching requests that get the fault. */
  rate: z.number().min(0).max(1),
  /** At most this many faults from this rule (unbounded when absent). */
  times: z.number().int().positive().optional(),
  /** Delay of a `latency` fault (default 500 ms). */
  latencyMs: z.number().int().min(0).max(120_000).optional(),
});

const faultPlanSchema = z.strictObject({
  /** Seed of the draws (default 1). */
  seed: z.number().int().optional(),
  rules: z.array(faultRuleSchema).max(100),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultPlan = z.infer<typeof faultPlanSchema>;

/** One fault the proxy injected (for tests and the operator's log; no request data). */
export interface InjectedFault {
  readonly service: FaultService;
  readonly operation: string;
  readonly fault: FaultRule['fault'];
  /** Epoch milliseconds. */
  readonly at: number;
}

/** The fault plan is not valid; the message names the problem. */
export class FaultPlanError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaultPlanError';
  }
}

/**
 * Parses a fault plan from JSON text or, when `source` is not JSON, from the file it names.
 *
 * @example
 * ```ts
 * parseFaultPlan('{"rules":[{"service":"kms","operation":"Decrypt","fault":"server-error","rate":1,"times":2}]}');
 * ```
 */
export function parseFaultPlan(source: string): FaultPlan {
  const text = source.trim().startsWith('{') ? source : readFileSync(source, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FaultPlanError('The fault plan is not valid JSON', { cause: error });
  }
  const parsed = faultPlanSchema.safeParse(value);
  if (!parsed.success) {
    throw new FaultPlanError(
      `Invalid fault plan: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The fault plan of `KYC_FAULT_PLAN`, if set. */
export function faultPlanFromEnv(env: NodeJS.ProcessEnv = process.env): FaultPlan | undefined {
  const source = env.KYC_FAULT_PLAN;
  return source ? parseFaultPlan(source) : undefined;
}

/** Deterministic draws (mulberry32). */
function draws(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The S3 REST operation of a path-style request (the names the S3 API reference uses). */
export function s3Operation(method: string, url: URL, headers: IncomingMessage['headers']): string {
  const [, bucket, ...rest] = url.pathname.split('/');
  const hasKey = rest.join('/') !== '';
  const query = url.searchParams;
  if (!bucket) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (query.has('retention')) return method === 'PUT' ? 'PutObjectRetention' : 'GetObjectRetention';
  if (query.has('legal-hold')) return method === 'PUT' ? 'PutObjectLegalHold' : 'GetObjectLegalHold';
  if (!hasKey) {
    if (method === 'POST') return query.has('delete') ? 'DeleteObjects' : 'PostObject';
    if (method === 'GET') return query.has('versions') ? 'ListObjectVersions' : 'ListObjectsV2';
    if (method === 'HEAD') return 'HeadBucket';
    return method === 'PUT' ? 'CreateBucket' : 'DeleteBucket';
  }
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  return 'Unknown';
}

function operationOf(service: FaultService, req: IncomingMessage): string {
  if (service === 's3') return s3Operation(req.method ?? 'GET', new URL(req.url ?? '/', 'http://local'), req.headers);
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' ? (target.split('.').pop() ?? '') : '';
}

const THROTTLE_TYPE: Readonly<Record<Exclude<FaultService, 's3'>, string>> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  kms: 'ThrottlingException',
  rekognition: 'ThrottlingException',
};
const SERVER_ERROR_TYPE: Readonly<Record<Exclude<FaultService, 's3'>, string>> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
  kms: 'KMSInternalException',
  rekognition: 'InternalServerError',
};

function answerFault(service: FaultService, fault: 'throttle' | 'server-error', res: ServerResponse): void {
  const throttle = fault === 'throttle';
  if (service === 's3') {
    const code = throttle ? 'SlowDown' : 'InternalError';
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>Injected fault: ${code}</Message></Error>`;
    res.writeHead(throttle ? 503 : 500, {
      'Content-Type': 'application/xml',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const type = (throttle ? THROTTLE_TYPE : SERVER_ERROR_TYPE)[service];
  const body = JSON.stringify({ __type: type, message: `Injected fault: ${type.split('#').pop() ?? type}` });
  res.writeHead(throttle ? 400 : 500, {
    'Content-Type': service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-ErrorType': type,
  });
  res.end(body);
}

/**
 * The plan in force, its draws and budgets, and the faults injected: shared by the proxies of
 * one runtime. The plan may be replaced while running (tests switch scenarios); budgets restart.
 */
export class FaultController {
  private plan: FaultPlan;
  private random: () => number;
  private readonly used = new Map<FaultRule, number>();
  private readonly log: InjectedFault[] = [];

  constructor(plan: FaultPlan) {
    this.plan = plan;
    this.random = draws(plan.seed ?? 1);
  }

  /** Replaces the plan (and its seed and budgets). */
  setPlan(plan: FaultPlan): void {
    this.plan = plan;
    this.random = draws(plan.seed ?? 1);
    this.used.clear();
  }

  /** The rule whose fault this request gets, if any; records it. */
  decide(service: FaultService, operation: string): FaultRule | undefined {
    const rule = this.plan.rules.find(
      (candidate) =>
        candidate.service === service && (candidate.operation === '*' || candidate.operation === operation),
    );
    if (!rule) return undefined;
    const used = this.used.get(rule) ?? 0;
    if (rule.times !== undefined && used >= rule.times) return undefined;
    if (this.random() >= rule.rate) return undefined;
    this.used.set(rule, used + 1);
    this.log.push({ service, operation, fault: rule.fault, at: Date.now() });
    return rule;
  }

  /** Faults injected so far, oldest first. */
  injected(): readonly InjectedFault[] {
    return this.log;
  }
}

/** A running fault proxy. */
export interface FaultProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts a fault-injecting proxy for `service` in front of `target` (an `http://127.0.0.1:port`
 * endpoint), on a free loopback port.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ service: 'kms', target: kms.endpoint, controller: new FaultController(plan) });
 * new KMSClient({ endpoint: proxy.endpoint });
 * ```
 */
export async function startFaultProxy(options: {
  readonly service: FaultService;
  readonly target: string;
  readonly controller: FaultController;
  readonly log?: (line: string) => void;
}): Promise<FaultProxy> {
  const { service, controller } = options;
  const target = new URL(options.target);

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    const operation = operationOf(service, req);
    const rule = controller.decide(service, operation);
    if (!rule) {
      forward(req, res);
      return;
    }
    options.log?.(`fault injected: ${service} ${operation} ${rule.fault}`);
    if (rule.fault === 'latency') {
      setTimeout(() => forward(req, res), rule.latencyMs ?? 500);
      return;
    }
    // Read the request first, as a server failing after receipt would.
    const fault = rule.fault;
    req.resume();
    req.on('end', () => {
      if (fault === 'drop') req.socket.destroy();
      else answerFault(service, fault, res);
    });
  });
  const port = await listenOnLoopback(server, `fault proxy (${service})`);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Starts one proxy per target service, all following one controller, and returns the
 * endpoints to give the handlers instead of the real ones.
 *
 * @example
 * ```ts
 * const faults = await startFaultProxies(plan, { s3: s3.endpoint, dynamodb: dynamo.endpoint });
 * const handlerEndpoints = { ...endpoints, ...faults.endpoints };
 * faults.controller.setPlan({ rules: [] }); // no more faults
 * ```
 */
export async function startFaultProxies(
  plan: FaultPlan,
  targets: Partial<Record<FaultService, string>>,
  log?: (line: string) => void,
): Promise<{
  readonly endpoints: Partial<Record<FaultService, string>>;
  readonly controller: FaultController;
  stop(): Promise<void>;
}> {
  const controller = new FaultController(plan);
  const proxies: FaultProxy[] = [];
  const endpoints: Partial<Record<FaultService, string>> = {};
  for (const service of FAULT_SERVICES) {
    const target = targets[service];
    if (!target) continue;
    const proxy = await startFaultProxy({ service, target, controller, ...(log ? { log } : {}) });
    proxies.push(proxy);
    endpoints[service] = proxy.endpoint;
  }
  return {
    endpoints,
    controller,
    async stop() {
      await Promise.all(proxies.map((proxy) => proxy.stop()));
    },
  };
}
