/**
 * `GET /v1/reviews?status=open[&assignee=<id>][&limit=<n>]` (compliance staff): the review
 * queue from the byReviewer index, most urgent due date first. Items carry ids, queue,
 * priority, SLA and reason codes; never the task token, the note or personal data.
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
    const query = event.queryStringParameters ?? {};
    const status = query.status ?? 'open';
    if (status !== 'open') throw new BadRequestError('VALIDATION_ERROR', 'status must be "open"');
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new BadRequestError('VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    const assignee = query.assignee;
    if (assignee !== undefined && !/^[A-Za-z0-9@._:-]{1,128}$/.test(assignee)) {
      throw new BadRequestError('VALIDATION_ERROR', 'assignee is malformed');
    }
    const tasks = await store.listOpenReviewTasks({ limit, ...(assignee ? { assignee } : {}) });
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
