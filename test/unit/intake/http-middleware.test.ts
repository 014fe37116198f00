import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGroups } from '../../../lambdas/handlers/http/middleware/caller-identity.ts';
import { HttpError } from '../../../lambdas/handlers/http/middleware/http-errors.ts';
import { httpHandler } from '../../../lambdas/handlers/http/middleware/http-handler.ts';
import { jsonResponse, type KycHttpEvent } from '../../../lambdas/handlers/http/middleware/types.ts';
import { httpEvent, lambdaContext, parse } from './http-events.ts';

const echo = httpHandler({ roles: ['user'] }, async (event: KycHttpEvent) =>
  jsonResponse(200, { body: event.parsedBody ?? null, caller: event.caller, language: event.language }),
);

describe('parseGroups', () => {
  it.each([
    { claim: '[support admin]', groups: ['support', 'admin'] },
    { claim: '[user,admin]', groups: ['user,admin'] },
    { claim: 'support,admin', groups: ['support,admin'] },
    { claim: 'x admin', groups: ['x admin'] },
    { claim: 'support', groups: ['support'] },
    { claim: '[]', groups: [] },
    { claim: ['support', 'admin'], groups: [] },
    { claim: undefined, groups: [] },
    { claim: 42, groups: [] },
  ])('$claim -> $groups', ({ claim, groups }) => {
    // Act
    const parsed = parseGroups(claim);

    // Assess
    expect(parsed).toEqual(groups);
  });
});

describe('group claims grant only exactly named roles', () => {
  const adminOnly = httpHandler({ roles: ['admin'] }, async (event: KycHttpEvent) =>
    jsonResponse(200, { roles: event.caller?.roles }),
  );

  it.each([
    { name: 'a group named user,admin', claim: '[user,admin]' },
    { name: 'a comma-separated string', claim: 'user,admin' },
    { name: 'a string claim "x admin"', claim: 'x admin' },
    { name: 'a JSON array string', claim: '["user","admin"]' },
    { name: 'a group named Admin', claim: '[Admin]' },
    { name: 'a group named admin with padding', claim: '[ admin_ ]' },
  ])('$name gives no admin rights (403)', async ({ claim }) => {
    // Act
    const result = await adminOnly(httpEvent({ groups: claim }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toMatchObject({ code: 'FORBIDDEN', message: expect.any(String) });
  });

  it('grants admin for the API Gateway rendering [user admin]', async () => {
    // Act
    const result = await adminOnly(httpEvent({ groups: '[user admin]' }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toEqual({ roles: ['user', 'admin'] });
  });
});

describe('only access tokens', () => {
  it.each([
    { name: 'an ID token', tokenUse: 'id' },
    { name: 'a token without token_use', tokenUse: null },
    { name: 'a refresh-like token_use', tokenUse: 'refresh' },
  ])('refuses $name with 401', async ({ tokenUse }) => {
    // Act
    const result = await echo(httpEvent({ tokenUse }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(401);
    expect(parse(result)).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String) });
  });
});

describe('path parameters', () => {
  const byId = httpHandler({ roles: ['user'] }, async () => {
    throw new Error('the handler must not run for a malformed id');
  });

  it.each([
    { name: 'a 2,100-character id', id: 'a'.repeat(2100) },
    { name: 'a 65-character id', id: 'a'.repeat(65) },
    { name: 'a slash', id: 'a/b' },
    { name: 'a key separator', id: 'v#META' },
    { name: 'an empty id', id: '' },
    { name: 'a non-ASCII id', id: 'vé' },
  ])('refuses $name with 400 INVALID_PATH_PARAMETER before the handler', async ({ id }) => {
    // Act
    const result = await byId(httpEvent({ pathParameters: { id } }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toMatchObject({ code: 'INVALID_PATH_PARAMETER', parameter: 'id' });
  });
});

describe('httpHandler middlewares', () => {
  it('parses the body, the caller and the language', async () => {
    // Prepare
    const event = httpEvent({ body: { a: 1 }, headers: { 'Accept-Language': 'zh-CN,zh;q=0.9' }, groups: '[user]' });

    // Act
    const result = await echo(event, lambdaContext);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toEqual({ body: { a: 1 }, caller: { userId: 'user-1', roles: ['user'] }, language: 'zh-CN' });
  });

  it.each([
    { name: 'no identity', options: { anonymous: true }, status: 401, code: 'UNAUTHORIZED' },
    { name: 'wrong role', options: { groups: '[support]' }, status: 403, code: 'FORBIDDEN' },
    { name: 'invalid JSON', options: { rawBody: '{nope' }, status: 400, code: 'INVALID_JSON' },
    { name: 'a member named twice', options: { rawBody: '{"a":1,"a":2}' }, status: 400, code: 'INVALID_JSON' },
    {
      name: 'a member named twice, once escaped, in a nested object',
      options: { rawBody: '{"p":{"role":"user","r\\u006fle":"admin"}}' },
      status: 400,
      code: 'INVALID_JSON',
    },
    {
      name: 'not JSON',
      options: { rawBody: 'a=1', headers: { 'content-type': 'text/plain' } },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    { name: 'too large', options: { body: { x: 'y'.repeat(20_000) } }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ])('$name -> $status $code', async ({ options, status, code }) => {
    // Prepare
    const event = httpEvent(options);

    // Act
    const result = await echo(event, lambdaContext);

    // Assess
    expect(result.statusCode).toBe(status);
    expect(parse(result)).toMatchObject({ code });
    expect(typeof parse(result).message).toBe('string');
  });

  it.each([
    { error: new HttpError(409, 'VERIFICATION_NOT_OPEN', 'closed'), status: 409, message: 'closed' },
    { error: new HttpError(503, 'UPSTREAM', 'internal detail'), status: 500, message: undefined },
    { error: new TypeError('secret stack detail'), status: 500, message: undefined },
  ])('maps $error.name to $status without leaking internals', async ({ error, status, message }) => {
    // Prepare
    const failing = httpHandler({ roles: [] }, async () => {
      throw error;
    });

    // Act
    const result = await failing(httpEvent(), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(status);
    if (message) expect(parse(result).message).toBe(message);
    else expect(parse(result)).toEqual({ code: 'INTERNAL_ERROR', message: expect.any(String) });
    expect(result.body).not.toMatch(/secret|internal detail|at .*\.ts/);
  });

  it('answers any event and body with a JSON status 200-599 carrying a code on errors', async () => {
    // Prepare
    const anyHeaders = fc.dictionary(
      fc.constantFrom('content-type', 'Content-Type', 'accept-language', 'x-other'),
      fc.oneof(fc.string(), fc.constant('application/json')),
    );
    const anyEvent = fc.record({
      body: fc.option(fc.oneof(fc.string(), fc.json(), fc.constant(42 as unknown as string)), { nil: undefined }),
      headers: fc.option(anyHeaders, { nil: undefined }),
      isBase64Encoded: fc.boolean(),
      claims: fc.option(
        fc.record({ sub: fc.oneof(fc.string(), fc.integer()), 'cognito:groups': fc.anything() }, { requiredKeys: [] }),
        { nil: undefined },
      ),
    });

    // Act + Assess
    await fc.assert(
      fc.asyncProperty(anyEvent, async ({ body, headers, isBase64Encoded, claims }) => {
        const event = {
          ...httpEvent(),
          body,
          headers,
          isBase64Encoded,
          requestContext: claims ? { authorizer: { jwt: { claims } } } : {},
        } as unknown as KycHttpEvent;
        const result = await echo(event, lambdaContext);
        expect(result.statusCode).toBeGreaterThanOrEqual(200);
        expect(result.statusCode).toBeLessThanOrEqual(599);
        const parsed = JSON.parse(result.body) as Record<string, unknown>;
        if (result.statusCode >= 400) {
          expect(typeof parsed.code).toBe('string');
          expect(typeof parsed.message).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });
});
