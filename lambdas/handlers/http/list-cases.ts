/**
 * `GET /v1/cases?status=&queue=&assignee=&level=&dueBefore=&from=&to=&limit=&cursor=`
 * (compliance_reviewer, compliance_approver, admin): review cases by SLA due time, most urgent
 * first, from the verifications table's indexes (never a scan; `domain/case-query.ts` picks the
 * index). `{ items, nextCursor? }`; the cursor is opaque and valid only for the same filters.
 * Items carry ids, queue, level, SLA, escalations, assignee and reason codes; never the task
 * token, the reviewer's note or personal data.
 */
import {
  CaseFilterError,
  decodeCaseCursor,
  encodeCaseCursor,
  InvalidCursorError,
  parseCaseFilter,
  planCaseQuery,
  type CaseFilter,
} from '../../domain/case-query.ts';
import { caseSummary } from '../../domain/cases.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { caseRouteSettings, caseStore, type CaseRouteDeps } from './case-deps.ts';
import { BadRequestError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

function filterFrom(query: Readonly<Record<string, string | undefined>>): CaseFilter {
  try {
    return parseCaseFilter(query);
  } catch (error) {
    if (error instanceof CaseFilterError) {
      throw new BadRequestError('VALIDATION_ERROR', error.message, { cause: error });
    }
    throw error;
  }
}

export function createListCasesHandler(
  source: DepsSource<Pick<CaseRouteDeps, 'cases' | 'clock'>> = () => ({
    ...caseRouteSettings(),
    cases: caseStore(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/cases'), async (event) => {
    const { cases, clock } = getDeps();
    const filter = filterFrom(event.queryStringParameters ?? {});
    const plan = planCaseQuery(filter);
    let startKey;
    try {
      startKey = filter.cursor ? decodeCaseCursor(filter.cursor, filter, plan) : undefined;
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new BadRequestError('INVALID_CURSOR', error.message);
      throw error;
    }
    const page = await cases.listCases(plan, filter.limit, startKey);
    const now = clock.now();
    return jsonResponse(200, {
      items: page.tasks.map((task) => caseSummary(task, now)),
      ...(page.nextKey ? { nextCursor: encodeCaseCursor(page.nextKey, filter) } : {}),
    });
  });
}

export const handler = createListCasesHandler();
