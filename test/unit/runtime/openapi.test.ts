import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { PATH_ID_PATTERN } from '../../../lambdas/handlers/http/middleware/path-parameters.ts';
import { HTTP_ROUTES } from '../../../lambdas/handlers/http/routes.ts';

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; schema?: { pattern?: string; $ref?: string } }>;
  security?: unknown[];
  'x-kyc-roles'?: string[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, Record<string, unknown>> } }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const document = JSON.parse(readFileSync(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8')) as OpenApi;

function collectRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => collectRefs(item, found));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else collectRefs(value, found);
    }
  }
  return found;
}

describe('openapi/openapi.json: the API contract the local mode serves', () => {
  it('is an OpenAPI 3.1 document', () => {
    // Assess
    expect(document.openapi).toBe('3.1.0');
  });

  it.each(HTTP_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'describes %s with its roles and security',
    (_key, route) => {
      // Act
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];

      // Assess
      expect(operation, `${route.method} ${route.path} is missing from openapi.json`).toBeDefined();
      expect(operation?.['x-kyc-roles']).toEqual([...route.roles]);
      expect(operation?.security !== undefined && operation.security.length === 0).toBe(route.public === true);
    },
  );

  it.each(
    HTTP_ROUTES.filter((route) => route.path.includes('{')).map(
      (route) => [`${route.method} ${route.path}`, route] as const,
    ),
  )(
    'declares every path parameter of %s with the pattern the handlers enforce (or an enum within it)',
    (_key, route) => {
      // Prepare
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);

      // Act
      const parameters = document.paths[route.path]?.[route.method.toLowerCase()]?.parameters ?? [];

      // Assess
      for (const name of names) {
        const parameter = parameters.find((candidate) => candidate.in === 'path' && candidate.name === name);
        const ref = parameter?.schema?.$ref?.replace('#/components/schemas/', '');
        const values = ref ? (document.components.schemas[ref] as { enum?: string[] }).enum : undefined;
        if (values)
          expect(
            values.every((value) => PATH_ID_PATTERN.test(value)),
            `${name} of ${route.path}`,
          ).toBe(true);
        else expect(parameter?.schema?.pattern, `${name} of ${route.path}`).toBe(PATH_ID_PATTERN.source);
      }
    },
  );

  it('answers every error with the { code, message } shape', () => {
    // Act
    const errorResponses = Object.values(document.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => Object.entries(operation.responses ?? {}).filter(([status]) => Number(status) >= 400))
      .map(([, response]) => response.content?.['application/json']?.schema);

    // Assess
    expect(errorResponses.length).toBeGreaterThan(0);
    expect(errorResponses.every((schema) => JSON.stringify(schema) === '{"$ref":"#/components/schemas/Error"}')).toBe(
      true,
    );
    expect(document.components.schemas.Error).toMatchObject({ required: ['code', 'message'] });
  });

  const withJsonBody = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation.requestBody?.content?.['application/json'] !== undefined)
      .map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as const),
  );
  it.each(withJsonBody)(
    '%s, which takes a JSON body, documents 413 PAYLOAD_TOO_LARGE and 415 UNSUPPORTED_MEDIA_TYPE',
    (_key, operation) => {
      // Assess
      expect(operation.responses?.['413']?.description).toContain('PAYLOAD_TOO_LARGE');
      expect(operation.responses?.['415']?.description).toContain('UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('bounds an export request by the default configuration (evidenceAccess.exportMaxVerifications)', () => {
    // Act
    const schema = document.paths['/v1/exports']?.post?.requestBody?.content?.['application/json']?.schema;

    // Assess
    expect(schema?.properties?.verificationIds?.maxItems).toBe(DEFAULT_CONFIG.evidenceAccess.exportMaxVerifications);
  });

  it.each([
    ['POST /v1/me/erasure', '400', /VALIDATION_ERROR/],
    ['GET /v1/me/data', '400', /VALIDATION_ERROR/],
    ['POST /v1/accounts/{userId}/close', '404', /no verification.*NOT_FOUND/],
  ])('%s documents its %s answer', (key, status, expected) => {
    // Prepare
    const [method, path] = key.split(' ') as [string, string];

    // Act
    const response = document.paths[path]?.[method.toLowerCase()]?.responses?.[status];

    // Assess
    expect(response?.description).toMatch(expected);
  });

  it('resolves every $ref', () => {
    // Act
    const missing = collectRefs(document).filter(
      (ref) => !(ref.replace('#/components/schemas/', '') in document.components.schemas),
    );

    // Assess
    expect(missing).toEqual([]);
  });
});
