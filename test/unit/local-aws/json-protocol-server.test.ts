import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requiredString } from '../../../local/aws/json-input.ts';
import { startJsonProtocolServer, type JsonProtocolServer } from '../../../local/aws/json-protocol-server.ts';

describe('startJsonProtocolServer', () => {
  let server: JsonProtocolServer;

  beforeAll(async () => {
    server = await startJsonProtocolServer({
      name: 'test service',
      targetPrefix: 'TestService',
      maxBodyBytes: 4096,
      operations: {
        Echo: (input) => ({ Value: requiredString(input, 'Value') }),
        Crash: () => {
          throw new TypeError('internal detail that must not leak');
        },
      },
      localRoutes: [{ method: 'POST', path: /^\/_local\/echo\/([^/]+)$/, handle: ([id], body) => ({ id, body }) }],
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const post = (body: string, target?: string, path = '/'): Promise<Response> =>
    fetch(`${server.endpoint}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', ...(target ? { 'X-Amz-Target': target } : {}) },
      body,
    });

  it('answers an operation with its JSON result', async () => {
    // Act
    const response = await post('{"Value":"hello"}', 'TestService.Echo');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({ Value: 'hello' });
  });

  it.each([
    ['a validation failure', '{"Value":42}', 'TestService.Echo', 400, 'ValidationException'],
    ['a JSON array', '[1,2]', 'TestService.Echo', 400, 'SerializationException'],
    ['another service prefix', '{}', 'OtherService.Echo', 400, 'UnknownOperationException'],
    ['an inherited property name', '{}', 'TestService.constructor', 400, 'UnknownOperationException'],
    ['an unexpected failure', '{}', 'TestService.Crash', 500, 'InternalServerError'],
  ])('answers %s with an AWS error', async (_name, body, target, status, type) => {
    // Act
    const response = await post(body, target);
    const payload = (await response.json()) as { __type: string; message: string };

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('x-amzn-errortype')).toBe(type);
    expect(payload.__type).toBe(type);
    expect(payload.message).not.toContain('internal detail');
  });

  it('serves local routes with their path parameters', async () => {
    // Act
    const response = await post('{"a":1}', undefined, '/_local/echo/abc');

    // Assess
    expect(await response.json()).toEqual({ id: 'abc', body: { a: 1 } });
  });

  it('never crashes and always answers JSON, whatever the body and target', async () => {
    // Assess
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.string({ minLength: 4000, maxLength: 5000 })),
        fc.constantFrom('TestService.Echo', 'TestService.Crash', 'TestService.', 'Nope', undefined),
        async (body, target) => {
          const response = await post(body, target);
          expect([200, 400, 413, 500]).toContain(response.status);
          const payload = (await response.json()) as Record<string, unknown>;
          if (response.status !== 200) expect(typeof payload.__type).toBe('string');
        },
      ),
      { numRuns: 60 },
    );
    const healthy = await post('{"Value":"still up"}', 'TestService.Echo');
    expect(healthy.status).toBe(200);
  });
});
