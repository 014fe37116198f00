/**
 * `GET /v1/reviews?status=open[&assignee=<id>][&limit=<n>]` (compliance staff): the review
 * queue from the byReviewer index, most urgent due date first; any other query parameter is
 * refused (400 `VALIDATION_ERROR`). Items carry ids, queue, priority, SLA and reason codes;
 * never the task token, the note or personal data.
 */
import { reviewSummary } from '../../domain/cases.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { BadRequestError } from './middleware/http-errors.ts';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { routeQuota } from './middleware/route-quota.ts';
import { jsonResponse } from './middleware/types.ts';
import { reviewRouteQuotas, reviewRouteSettings, reviewStore, type ReviewRouteDeps } from './review-deps.ts';
import { routeFor } from './routes.ts';

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 50;
/**
 * The query parameters this route reads; any other is refused (400 `VALIDATION_ERROR`), as on
 * `GET /v1/cases`. The queue is one page (at most `MAX_LIMIT` tasks): it issues no cursor, so
 * `cursor` is an unknown parameter here too.
 */
const QUERY_PARAMETERS = new Set(['status', 'assignee', 'limit']);

interface ReviewQuery {
  readonly limit: number;
  readonly assignee?: string;
}

/**
 * Validates the query of `GET /v1/reviews` by hand (no zod: this function stays lean), with the
 * case list's messages.
 */
function parseReviewQuery(query: Readonly<Record<string, string | undefined>>): ReviewQuery {
  const unknown = Object.keys(query).filter((name) => !QUERY_PARAMETERS.has(name));
  if (unknown.length > 0) {
    throw new BadRequestError('VALIDATION_ERROR', `unknown query parameter ${unknown.join(', ')}`);
  }
  const status = query.status ?? 'open';
  if (status !== 'open') throw new BadRequestError('VALIDATION_ERROR', 'status must be "open"');
  const limit = query.limit === undefined ? DEFAULT_LIMIT : /^-?\d+$/.test(query.limit) ? Number(query.limit) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequestError('VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const assignee = query.assignee;
  if (assignee !== undefined && !/^[A-Za-z0-9@._:-]{1,128}$/.test(assignee)) {
    throw new BadRequestError('VALIDATION_ERROR', 'assignee is malformed');
  }
  return { limit, ...(assignee ? { assignee } : {}) };
}

export function createListReviewsHandler(
  deps: DepsSource<Pick<ReviewRouteDeps, 'store' | 'routeQuotas' | 'config' | 'clock'>> = () => ({
    ...reviewRouteSettings(),
    store: reviewStore(),
    routeQuotas: reviewRouteQuotas(),
  }),
) {
  const getDeps = resolveDeps(deps);
  return httpHandler(routeFor('GET', '/v1/reviews'), async (event) => {
    const { store } = getDeps();
    const tasks = await store.listOpenReviewTasks(parseReviewQuery(event.queryStringParameters ?? {}));
    const now = new Date();
    return jsonResponse(200, { items: tasks.map((task) => reviewSummary(task, now)) });
  }).use(
    routeQuota({
      name: 'caseRead',
      quotas: () => getDeps().routeQuotas,
      config: () => getDeps().config ?? DEFAULT_CONFIG,
      now: () => getDeps().clock.now(),
    }),
  );
}

export const handler = createListReviewsHandler();
