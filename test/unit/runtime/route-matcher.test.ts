import { describe, expect, it } from 'vitest';
import { InvalidRouteError, RouteTable, type HttpRouteDefinition } from '../../../local/runtime/http/route-matcher.ts';

const route = (method: string, path: string): HttpRouteDefinition => ({
  method,
  path,
  entry: `x/${method}${path}.ts`,
  exportName: 'handler',
  roles: ['user'],
});

describe('RouteTable: matches requests like API Gateway HTTP APIs', () => {
  const table = new RouteTable([
    route('GET', '/v1/verifications/{id}'),
    route('GET', '/v1/verifications/mine'),
    route('POST', '/v1/verifications/{id}/attempts'),
    route('ANY', '/v1/files/{proxy+}'),
    route('GET', '/v1/files/{proxy+}'),
  ]);

  it.each([
    ['GET', '/v1/verifications/abc', 'GET /v1/verifications/{id}', { id: 'abc' }],
    ['GET', '/v1/verifications/mine', 'GET /v1/verifications/mine', {}],
    ['GET', '/v1/verifications/a%20b', 'GET /v1/verifications/{id}', { id: 'a b' }],
    ['POST', '/v1/verifications/abc/attempts', 'POST /v1/verifications/{id}/attempts', { id: 'abc' }],
    ['GET', '/v1/files/a/b/c', 'GET /v1/files/{proxy+}', { proxy: 'a/b/c' }],
    ['DELETE', '/v1/files/a/b', 'ANY /v1/files/{proxy+}', { proxy: 'a/b' }],
  ])('%s %s -> %s', (method, path, routeKey, pathParameters) => {
    // Act
    const match = table.match(method, path);

    // Assess
    expect(match?.routeKey).toBe(routeKey);
    expect(match?.pathParameters).toEqual(pathParameters);
  });

  it.each([
    ['DELETE', '/v1/verifications/abc'],
    ['GET', '/v1/unknown'],
    ['GET', '/v1/verifications/%E0%A4%A'],
  ])('%s %s matches nothing', (method, path) => {
    // Act
    const match = table.match(method, path);

    // Assess
    expect(match).toBeUndefined();
  });

  it.each(['v1/no-slash', '/v1/{proxy+}/more', '/v1/{bad'])('refuses the template %s', (path) => {
    // Act
    const build = (): unknown => new RouteTable([route('GET', path)]);

    // Assess
    expect(build).toThrow(InvalidRouteError);
  });
});
