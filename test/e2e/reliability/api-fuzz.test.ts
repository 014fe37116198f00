/**
 * API fuzzing (fast-check, fixed seed) of every route of the route table, through the running
 * local runtime: generated path parameters, query strings, headers and bodies (shaped after
 * the route's OpenAPI request schema, then bent out of shape). Every answer must be the
 * route's documented success, or a 4xx with a JSON `{ code, message }` body; never a 5xx, a
 * stack trace, or a request left hanging. Routes come from `lambdas/handlers/http/routes.ts`,
 * so a route added there is fuzzed without touching this file.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../lambdas/domain/verification.ts';
import { HTTP_ROUTES, type HttpRoute } from '../../../lambdas/handlers/http/routes.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { issueLocalToken } from '../../../local/runtime/auth/local-tokens.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

/**
 * Requests per route: every route x 24 runs stay within a few seconds on a quiet machine.
 * `KYC_FUZZ_RUNS` / `KYC_FUZZ_SEED` run a deeper or different sweep by hand.
 */
const RUNS_PER_ROUTE = Number(process.env.KYC_FUZZ_RUNS ?? 24);
const SEED = Number(process.env.KYC_FUZZ_SEED ?? 20_261_130);
const REQUEST_TIMEOUT_MS = 15_000;
const FUZZ_USER = 'fuzz-user';

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  maxLength?: number;
  pattern?: string;
};
type Operation = {
  parameters?: { name?: string; in?: string; schema?: Schema; $ref?: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, unknown>;
};
const openApi = JSON.parse(readFileSync(join(process.cwd(), 'openapi', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema>; parameters?: Record<string, { name?: string; schema?: Schema }> };
};

let e2e: E2eRuntime;
const tokens = new Map<Role | 'user', string>();
let verificationId = '';

beforeAll(async () => {
  e2e = await startE2eRuntime();
  for (const role of ['user', 'support', 'compliance_reviewer', 'compliance_approver', 'admin'] as const)
    tokens.set(
      role,
      await issueLocalToken(e2e.signingKey, { userId: role === 'user' ? FUZZ_USER : `fuzz-${role}`, role }),
    );
  // One real verification, so generated ids sometimes name something that exists.
  const client = new KycClient(e2e.runtime.apiUrl, tokens.get('user') ?? '');
  ({ verificationId } = await client.createVerification({
    level: 'basic',
    nationality: 'GBR',
    documentType: 'passport',
    personalData: { fullName: 'Fuzz Example', dateOfBirth: '1990-01-01', address: '1 High Street, Leeds' },
  }));
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

function resolveSchema(schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return openApi.components?.schemas?.[schema.$ref.split('/').pop() ?? ''];
}

/** Values shaped like `schema`, sometimes of the wrong type, length or content. */
function shaped(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const resolved = resolveSchema(schema);
  const wild = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(null, '', -1, 1e308, '\u0000', '<script>alert(1)</script>', "' OR '1'='1", '__proto__'),
  );
  if (!resolved || depth > 3) return wild;
  let typed: fc.Arbitrary<unknown>;
  if (resolved.enum) typed = fc.constantFrom(...resolved.enum);
  else if (resolved.type === 'object' && resolved.properties) {
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, property] of Object.entries(resolved.properties)) model[name] = shaped(property, depth + 1);
    typed = fc.record(model, { requiredKeys: [] });
  } else if (resolved.type === 'array') typed = fc.array(shaped(resolved.items, depth + 1), { maxLength: 12 });
  else if (resolved.type === 'string')
    typed = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.uuid(),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
      fc.constant('x'.repeat((resolved.maxLength ?? 200) + 1)),
    );
  else if (resolved.type === 'boolean') typed = fc.boolean();
  else if (resolved.type === 'integer' || resolved.type === 'number') typed = fc.oneof(fc.integer(), fc.double());
  else typed = wild;
  return fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: wild });
}

function operationOf(route: HttpRoute): Operation | undefined {
  return openApi.paths[route.path]?.[route.method.toLowerCase()];
}

function parameterSchema(operation: Operation | undefined, name: string): Schema | undefined {
  for (const parameter of operation?.parameters ?? []) {
    const resolved = parameter.$ref
      ? openApi.components?.parameters?.[parameter.$ref.split('/').pop() ?? '']
      : parameter;
    if (resolved?.name === name) return resolved.schema;
  }
  return undefined;
}

/** A path segment: a real id, a random one, the documented values, or hostile text (raw or encoded). */
function pathValue(schema: Schema | undefined): fc.Arbitrary<string> {
  const hostile = fc.constantFrom('..', '%zz', '%00', '%2e%2e%2f', 'x'.repeat(3000), 'null', '{id}', '%F0%9F%92%A5');
  return fc.oneof(
    fc.constant(verificationId),
    fc.uuid(),
    ...(schema?.enum ? [fc.constantFrom(...(schema.enum as string[]))] : []),
    fc.string({ minLength: 1, maxLength: 60 }).map(encodeURIComponent),
    hostile,
  );
}

const printable = fc.string({
  maxLength: 80,
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
});

interface FuzzRequest {
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function requests(route: HttpRoute): fc.Arbitrary<FuzzRequest> {
  const operation = operationOf(route);
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
  const pathArbitrary = fc
    .tuple(...names.map((name) => pathValue(parameterSchema(operation, name))))
    .map((values) => names.reduce((path, name, index) => path.replace(`{${name}}`, values[index] ?? ''), route.path));
  const bodySchema = operation?.requestBody?.content?.['application/json']?.schema;
  const body = fc.oneof(
    { weight: 6, arbitrary: shaped(bodySchema).map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":', '['.repeat(5000), `{"pad":"${'a'.repeat(300_000)}"}`) },
  );
  const role: Role | 'user' = route.roles[0] ?? 'user';
  const authorization = fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Bearer ${tokens.get(role) ?? ''}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'Bearer ',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'Basic dXNlcjpwYXNz',
        `Bearer ${'a'.repeat(9000)}`,
        `Bearer ${tokens.get('user') ?? ''}`,
      ),
    },
    { weight: 1, arbitrary: printable },
  );
  const headers = fc.record(
    {
      authorization,
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
      ),
      'accept-language': fc.oneof(fc.constantFrom('en', 'zh-CN', 'xx', '*', 'en;q=abc'), printable),
      'idempotency-key': printable,
      origin: fc.constantFrom('https://evil.example', 'null'),
    },
    { requiredKeys: ['authorization'] },
  );
  const query = fc
    .array(fc.tuple(fc.constantFrom('status', 'limit', 'cursor', 'token', 'from', 'to', 'assignee', 'x'), printable), {
      maxLength: 4,
    })
    .map((pairs) => (pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`));
  return fc.record({
    path: pathArbitrary,
    query,
    headers: headers.map((value) => Object.fromEntries(Object.entries(value).filter(([, text]) => text !== ''))),
    ...(route.method === 'GET' ? {} : { body }),
  }) as fc.Arbitrary<FuzzRequest>;
}

/** Success statuses the route documents (2xx/3xx in its OpenAPI responses). */
function documentedSuccess(route: HttpRoute): Set<number> {
  const codes = Object.keys(operationOf(route)?.responses ?? {}).map(Number);
  const success = codes.filter((code) => code >= 200 && code < 400);
  return new Set(success.length > 0 ? success : [200, 201, 202, 204]);
}

const STACK_TRACE = /\n\s+at |\.ts:\d+:\d+|node:internal|\bTypeError\b|\bReferenceError\b/;

describe('API fuzzing', () => {
  it('covers every route of the route table', () => {
    // Assess: the OpenAPI document describes every route the fuzzing derives from routes.ts.
    for (const route of HTTP_ROUTES) expect(operationOf(route), `${route.method} ${route.path}`).toBeDefined();
  });

  it.each(HTTP_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: documented success or 4xx { code, message }, never 5xx, stack trace or hang',
    async (_name, route) => {
      // Prepare
      const success = documentedSuccess(route);
      const seen = new Map<number, number>();

      // Act + Assess
      await fc.assert(
        fc.asyncProperty(requests(route), async (request) => {
          const response = await fetch(`${e2e.runtime.apiUrl}${request.path}${request.query}`, {
            method: route.method,
            headers: request.headers,
            redirect: 'manual',
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            ...(request.body !== undefined ? { body: request.body } : {}),
          });
          const text = await response.text();
          seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
          const label = `${route.method} ${request.path}${request.query} -> ${response.status} ${text.slice(0, 300)}`;
          expect(response.status, label).toBeLessThan(500);
          expect(STACK_TRACE.test(text), label).toBe(false);
          if (response.status >= 400) {
            const body = JSON.parse(text) as { code?: unknown; message?: unknown };
            expect(body, label).toMatchObject({ code: expect.any(String), message: expect.any(String) });
          } else {
            expect(success.has(response.status), label).toBe(true);
          }
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      console.log(
        `${route.method} ${route.path}: ${[...seen]
          .sort(([a], [b]) => a - b)
          .map(([status, count]) => `${status}x${count}`)
          .join(' ')}`,
      );
    },
    120_000,
  );
});
