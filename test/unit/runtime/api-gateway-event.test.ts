import { describe, expect, it } from 'vitest';
import { buildHttpApiEvent, serializeClaim } from '../../../local/runtime/http/api-gateway-event.ts';
import { toHttpResponse } from '../../../local/runtime/http/api-gateway-result.ts';

describe('buildHttpApiEvent: payload format 2.0', () => {
  it('lower-cases and joins headers, splits cookies and joins repeated query parameters', () => {
    // Prepare
    const request = {
      method: 'post',
      url: '/v1/things/7?a=1&a=2&b=x',
      rawHeaders: ['Content-Type', 'application/json', 'X-Multi', 'one', 'X-Multi', 'two', 'Cookie', 'a=1; b=2'],
      body: Buffer.from('{"k":"v"}'),
      sourceIp: '127.0.0.1',
    };

    // Act
    const event = buildHttpApiEvent(request, {
      routeKey: 'POST /v1/things/{id}',
      pathParameters: { id: '7' },
      domainName: '127.0.0.1:3000',
      now: new Date('2026-03-12T19:03:58Z'),
    });

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/things/{id}',
      rawPath: '/v1/things/7',
      rawQueryString: 'a=1&a=2&b=x',
      headers: { 'content-type': 'application/json', 'x-multi': 'one,two' },
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { a: '1,2', b: 'x' },
      pathParameters: { id: '7' },
      body: '{"k":"v"}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/v1/things/7', sourceIp: '127.0.0.1' },
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
      },
    });
  });

  it('base64-encodes a binary body', () => {
    // Prepare
    const body = Buffer.from([0xff, 0xd8, 0xff]);

    // Act
    const event = buildHttpApiEvent(
      { method: 'PUT', url: '/x', rawHeaders: ['content-type', 'image/jpeg'], body, sourceIp: '::1' },
      { routeKey: 'PUT /x', pathParameters: {}, domainName: 'localhost' },
    );

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(body.toString('base64'));
  });

  it('stringifies claims the way API Gateway does', () => {
    // Act
    const event = buildHttpApiEvent(
      { method: 'GET', url: '/x', rawHeaders: [], body: Buffer.alloc(0), sourceIp: '::1' },
      {
        routeKey: 'GET /x',
        pathParameters: {},
        domainName: 'localhost',
        claims: { sub: 'alice', 'cognito:groups': ['user', 'admin'], exp: 1700000000 },
      },
    );

    // Assess
    expect(event.body).toBeUndefined();
    expect(event.requestContext).toMatchObject({
      authorizer: { jwt: { claims: { sub: 'alice', 'cognito:groups': '[user admin]', exp: '1700000000' } } },
    });
  });

  it.each([
    [['a'], '[a]'],
    ['x', 'x'],
    [true, 'true'],
    [{ a: 1 }, '{"a":1}'],
  ])('serializeClaim(%j) = %s', (value, expected) => {
    // Act / Assess
    expect(serializeClaim(value)).toBe(expected);
  });
});

describe('toHttpResponse: Lambda result to HTTP response', () => {
  it.each([
    [{ statusCode: 201, headers: { 'X-A': 'b' }, body: 'hi' }, 201, 'hi', { 'x-a': 'b' }],
    [{ ok: true }, 200, '{"ok":true}', { 'content-type': 'application/json' }],
    ['text', 200, 'text', { 'content-type': 'application/json' }],
    [{ statusCode: 200, body: Buffer.from('bin').toString('base64'), isBase64Encoded: true }, 200, 'bin', {}],
    [{ statusCode: 42 }, 500, '{"code":"INTERNAL_ERROR","message":"Internal Server Error"}', {}],
    [
      { statusCode: 200, body: { not: 'a string' } },
      500,
      '{"code":"INTERNAL_ERROR","message":"Internal Server Error"}',
      {},
    ],
  ])('%j -> %i', (result, statusCode, body, headers) => {
    // Act
    const response = toHttpResponse(result);

    // Assess
    expect(response.statusCode).toBe(statusCode);
    expect(response.body.toString()).toBe(body);
    expect(response.headers).toMatchObject(headers);
  });
});
