/**
 * Matches requests to API Gateway HTTP API route keys (`METHOD /path/{param}/{proxy+}`) the way
 * API Gateway does: the most specific route wins (static segments before parameters, parameters
 * before greedy `{name+}`), `ANY` matches every method, and path parameters are URL-decoded.
 */
import type { Role } from '../../../lambdas/domain/verification.ts';

/** One HTTP route as the intake's route table declares it (`lambdas/handlers/http/routes.ts`). */
export interface HttpRouteDefinition {
  readonly method: string;
  /** API Gateway path template, e.g. `/v1/verifications/{id}`. */
  readonly path: string;
  /** Handler module relative to the repository root, e.g. `lambdas/handlers/http/get-verification.ts`. */
  readonly entry: string;
  /** Exported handler name in that module (usually `handler`). */
  readonly exportName: string;
  /** Roles (Cognito groups) allowed to call the route. */
  readonly roles: readonly Role[];
  /** No authorizer: callable without a token. */
  readonly public?: boolean;
}

export interface RouteMatch<R extends HttpRouteDefinition> {
  readonly route: R;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
}

interface CompiledRoute<R extends HttpRouteDefinition> {
  readonly route: R;
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly specificity: readonly number[];
}

/** A route template that API Gateway would refuse. */
export class InvalidRouteError extends Error {
  constructor(public readonly routeKey: string) {
    super(`Invalid route template: ${routeKey}`);
    this.name = 'InvalidRouteError';
  }
}

function compile<R extends HttpRouteDefinition>(route: R): CompiledRoute<R> {
  const routeKey = `${route.method.toUpperCase()} ${route.path}`;
  if (!route.path.startsWith('/')) throw new InvalidRouteError(routeKey);
  const names: string[] = [];
  const specificity: number[] = [];
  const segments = route.path
    .split('/')
    .slice(1)
    .map((segment, index, all) => {
      const greedy = /^\{([A-Za-z0-9_]+)\+\}$/.exec(segment);
      if (greedy?.[1]) {
        if (index !== all.length - 1) throw new InvalidRouteError(routeKey);
        names.push(greedy[1]);
        specificity.push(0);
        return '(.+)';
      }
      const parameter = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (parameter?.[1]) {
        names.push(parameter[1]);
        specificity.push(1);
        return '([^/]+)';
      }
      if (/[{}]/.test(segment)) throw new InvalidRouteError(routeKey);
      specificity.push(2);
      return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    });
  return { route, routeKey, pattern: new RegExp(`^/${segments.join('/')}/?$`), names, specificity };
}

function compareSpecificity(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (b[i] ?? -1) - (a[i] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * A compiled route table.
 *
 * @example
 * ```ts
 * const table = new RouteTable(HTTP_ROUTES);
 * table.match('GET', '/v1/verifications/abc')?.pathParameters; // { id: 'abc' }
 * ```
 */
export class RouteTable<R extends HttpRouteDefinition> {
  readonly #routes: CompiledRoute<R>[];

  constructor(routes: readonly R[]) {
    this.#routes = routes.map((route) => compile(route));
    this.#routes.sort((a, b) => {
      const bySpecificity = compareSpecificity(a.specificity, b.specificity);
      if (bySpecificity !== 0) return bySpecificity;
      // Explicit methods before ANY.
      return Number(a.route.method.toUpperCase() === 'ANY') - Number(b.route.method.toUpperCase() === 'ANY');
    });
  }

  /** The matching route, or `undefined` (API Gateway then answers 404 whatever the method). */
  match(method: string, path: string): RouteMatch<R> | undefined {
    const upper = method.toUpperCase();
    for (const compiled of this.#routes) {
      const routeMethod = compiled.route.method.toUpperCase();
      if (routeMethod !== upper && routeMethod !== 'ANY') continue;
      const found = compiled.pattern.exec(path);
      if (!found) continue;
      const pathParameters: Record<string, string> = {};
      let decodable = true;
      compiled.names.forEach((name, index) => {
        const raw = found[index + 1] ?? '';
        try {
          pathParameters[name] = decodeURIComponent(raw);
        } catch {
          decodable = false;
        }
      });
      if (!decodable) continue;
      return { route: compiled.route, routeKey: compiled.routeKey, pathParameters };
    }
    return undefined;
  }
}
