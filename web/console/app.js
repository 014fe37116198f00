// The compliance console: one ES module, no framework, no build step, nothing from another
// origin (the strict CSP of /console/ allows scripts and styles of this origin only).
//
//   config.json ──> sign-in (local token | Cognito hosted UI + PKCE) ──> #/route ──> screen
//
// Screens (hash routes): #/queue (review queue, filters, paging, SLA countdowns),
// #/cases/<id> (case view, document view behind a reason, decision, notes, audit timeline),
// #/lookup[/<id>] (support view), #/exports[/<id>] (request and approval), #/metrics.
// Every text node is set with textContent: nothing from the API is parsed as HTML.
import { createApi, queryString, ApiError } from './api.js';
import {
  TOKEN_KEY,
  beginCognitoSignIn,
  completeCognitoSignIn,
  isExpired,
  logoutUrl,
  sessionOf,
  tokenFromFragment,
} from './auth.js';
import { renderBarChart, renderColumnChart } from './charts.js';
import {
  REVIEW_REASON_CODES,
  describeReason,
  formatDuration,
  formatPercent,
  formatTime,
  parseIdList,
  slaState,
  slaText,
} from './format.js';
import { LANGUAGES, pickLanguage, t } from './i18n.js';

const LANGUAGE_KEY = 'kyc.console.language';
const EXPORTS_KEY = 'kyc.console.exports';
const PAGE_SIZE = 25;

/** @type {{ config: any, token: string | undefined, session: import('./auth.js').Session | undefined,
 *   language: import('./i18n.js').Language, renderId: number, cursors: string[] }} */
const state = {
  config: undefined,
  token: undefined,
  session: undefined,
  language: 'en',
  renderId: 0,
  cursors: [],
};

/** The API client; `start` points it at `config.json`'s `apiBaseUrl`. */
let api = makeApi('');

function makeApi(/** @type {string} */ baseUrl) {
  return createApi({
    baseUrl,
    token: () => state.token,
    language: () => state.language,
    onUnauthorized: () => {
      signOut(false);
      showNotice(tr('signin.expired'), 'error');
    },
  });
}

function tr(/** @type {string} */ key, /** @type {Record<string, string | number>} */ params = {}) {
  return t(state.language, key, params);
}

// ---------------------------------------------------------------- DOM helpers

/**
 * An element with attributes (`class`, `text`, `on<event>` handlers, booleans) and children.
 * @returns {any}
 */
function h(/** @type {string} */ tag, /** @type {Record<string, any>} */ attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat(3)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function main() {
  return /** @type {HTMLElement} */ (document.getElementById('main'));
}

/** Replaces the page's content and moves focus to its heading (keyboard and screen readers follow). */
function setPage(/** @type {HTMLElement[]} */ ...nodes) {
  const root = main();
  root.replaceChildren(...nodes);
  const heading = root.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

function showNotice(/** @type {string} */ text, kind = 'ok') {
  const notice = /** @type {HTMLElement} */ (document.getElementById('notice'));
  notice.textContent = text;
  notice.className = `notice notice-${kind}`;
  notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  notice.hidden = false;
}

function clearNotice() {
  const notice = /** @type {HTMLElement} */ (document.getElementById('notice'));
  notice.hidden = true;
  notice.textContent = '';
}

/** An error box for a failed call: the API's message and code; 403 and 404 in plain words. */
function errorBox(/** @type {unknown} */ error) {
  const apiError = error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error));
  const text =
    apiError.status === 403
      ? tr('common.forbidden')
      : apiError.status === 404 && apiError.message === 'Not Found'
        ? tr('common.unavailable')
        : apiError.message;
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-code': apiError.code, 'data-status': apiError.status },
    h('strong', { text: tr('common.error') }),
    h('p', {}, text, ' ', h('code', { text: apiError.code })),
  );
}

/** A case's status in the queue: open, or the decision it got. */
function caseStatusBadge(/** @type {string | undefined} */ status, /** @type {string | undefined} */ decision) {
  const value = status ?? (decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'open');
  return h('span', { class: `badge case-${value}`, 'data-status': value, text: tr(`caseStatus.${value}`) });
}

function statusBadge(/** @type {string | undefined} */ status) {
  if (!status) return h('span', { class: 'badge', text: '–' });
  return h('span', { class: `badge status-${status}`, 'data-status': status, text: tr(`status.${status}`) });
}

/** A live SLA countdown: updated every second by `tickCountdowns`; overdue ones highlighted. */
function slaCell(/** @type {string | undefined} */ dueAt, /** @type {boolean | undefined} */ escalated) {
  const span = h('span', { class: 'sla', 'data-due': dueAt ?? '' });
  paintSla(span);
  return h(
    'span',
    { class: 'sla-wrap' },
    span,
    escalated ? h('span', { class: 'badge escalated', text: tr('sla.escalated') }) : null,
  );
}

function paintSla(/** @type {HTMLElement} */ element, now = Date.now()) {
  const dueAt = element.dataset.due || undefined;
  const sla = slaState(dueAt, now);
  element.textContent = slaText(dueAt, state.language, now);
  element.dataset.state = sla.state;
  element.className = `sla sla-${sla.state}`;
  const row = element.closest('tr');
  if (row) row.classList.toggle('overdue', sla.state === 'overdue');
}

function tickCountdowns() {
  const now = Date.now();
  for (const element of document.querySelectorAll('[data-due]')) paintSla(/** @type {HTMLElement} */ (element), now);
}

function definitionList(/** @type {[string, any][]} */ rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([label, value]) => [h('dt', { text: label }), h('dd', {}, value)]),
  );
}

function reasonList(/** @type {unknown} */ reasons) {
  const codes = (Array.isArray(reasons) ? reasons : [])
    .map((reason) =>
      typeof reason === 'string' ? reason : reason && typeof reason === 'object' ? reason.code : undefined,
    )
    .filter((code) => typeof code === 'string');
  if (codes.length === 0) return h('p', { class: 'muted', text: tr('case.noReasons') });
  return h(
    'ul',
    { class: 'reasons' },
    codes.map((code) => {
      const reason = describeReason(code, state.language);
      return h(
        'li',
        { class: 'reason', 'data-code': code },
        h('span', { class: 'reason-message', text: reason.message }),
        ' ',
        h('code', { text: code }),
        reason.tip ? h('span', { class: 'reason-tip', text: reason.tip }) : null,
      );
    }),
  );
}

function roleNames(/** @type {string[]} */ roles) {
  return roles.map((role) => tr(`role.${role}`)).join(', ');
}

function hasRole(/** @type {string[]} */ ...roles) {
  return Boolean(state.session?.roles.some((role) => roles.includes(role)));
}

// ---------------------------------------------------------------- chrome

function applyLanguage() {
  document.documentElement.lang = state.language;
  document.title = tr('app.title');
  /** @type {HTMLElement} */ (document.getElementById('brand')).textContent = tr('app.title');
  /** @type {HTMLElement} */ (document.getElementById('skip-link')).textContent = tr('app.skip');
  /** @type {HTMLElement} */ (document.getElementById('language-label')).textContent = tr('language.label');
  /** @type {HTMLElement} */ (document.getElementById('sign-out')).textContent = tr('nav.signOut');
  for (const button of document.querySelectorAll('[data-language]')) {
    button.setAttribute('aria-pressed', String(button.getAttribute('data-language') === state.language));
  }
  renderChrome();
}

function navItems() {
  /** @type {[string, string][]} */
  const items = [];
  if (hasRole('compliance_reviewer', 'compliance_approver', 'admin')) items.push(['#/queue', 'nav.queue']);
  if (hasRole('support')) items.push(['#/lookup', 'nav.lookup']);
  if (hasRole('compliance_reviewer', 'compliance_approver')) items.push(['#/exports', 'nav.exports']);
  if (hasRole('compliance_reviewer', 'compliance_approver', 'admin')) items.push(['#/metrics', 'nav.metrics']);
  return items;
}

function renderChrome() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  const signOutButton = /** @type {HTMLElement} */ (document.getElementById('sign-out'));
  nav.setAttribute('aria-label', tr('nav.label'));
  if (!state.session) {
    nav.hidden = true;
    who.textContent = '';
    signOutButton.hidden = true;
    return;
  }
  const current = location.hash.split('?')[0] || '';
  nav.replaceChildren(
    ...navItems().map(([href, key]) =>
      h('a', { href, text: tr(key), 'aria-current': current.startsWith(href) ? 'page' : undefined }),
    ),
  );
  nav.hidden = false;
  who.textContent = tr('nav.signedInAs', { user: state.session.name, roles: roleNames(state.session.roles) });
  signOutButton.hidden = false;
}

function defaultRoute() {
  return navItems()[0]?.[0] ?? '#/signin';
}

// ---------------------------------------------------------------- sign-in

function acceptToken(/** @type {string} */ token) {
  const session = sessionOf(token);
  if (!session) return 'signin.invalid';
  if (isExpired(session)) return 'signin.expired';
  if (session.roles.length === 0) return 'signin.notStaff';
  state.token = token;
  state.session = session;
  sessionStorage.setItem(TOKEN_KEY, token);
  return undefined;
}

function signOut(/** @type {boolean} */ leaveHostedUi) {
  state.token = undefined;
  state.session = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  const logout = leaveHostedUi ? logoutUrl(state.config.auth) : undefined;
  if (logout) {
    location.assign(logout);
    return;
  }
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else void route();
}

function renderSignIn() {
  const auth = state.config.auth;
  if (auth.mode === 'cognito') {
    setPage(
      h('h1', { text: tr('signin.heading') }),
      h('p', { text: tr('signin.cognitoIntro') }),
      h('button', {
        type: 'button',
        class: 'primary',
        id: 'cognito-sign-in',
        text: tr('signin.cognito'),
        onclick: async () => location.assign(await beginCognitoSignIn(auth)),
      }),
    );
    return;
  }
  const problem = h('p', { class: 'field-error', id: 'token-error', role: 'alert', hidden: true });
  const field = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-error',
  });
  setPage(
    h('h1', { text: tr('signin.heading') }),
    h('p', { class: 'muted', text: tr('signin.localIntro') }),
    h(
      'form',
      {
        id: 'sign-in-form',
        class: 'card narrow',
        onsubmit: (/** @type {Event} */ event) => {
          event.preventDefault();
          const refusal = acceptToken(field.value.trim());
          if (refusal) {
            problem.textContent = tr(refusal);
            problem.hidden = false;
            field.setAttribute('aria-invalid', 'true');
            field.focus();
            return;
          }
          field.value = '';
          renderChrome();
          location.hash = defaultRoute();
        },
      },
      h('label', { for: 'token', text: tr('signin.token') }),
      field,
      problem,
      h('button', { type: 'submit', class: 'primary', text: tr('signin.submit') }),
    ),
  );
}

// ---------------------------------------------------------------- queue

function queueFilters(/** @type {URLSearchParams} */ params) {
  const value = (/** @type {string} */ name) => params.get(name) ?? '';
  const select = (/** @type {string} */ name, /** @type {[string, string][]} */ options) =>
    h(
      'select',
      { id: `filter-${name}`, name },
      options.map(([optionValue, label]) =>
        h('option', { value: optionValue, text: label, selected: optionValue === value(name) }),
      ),
    );
  const field = (/** @type {string} */ name, /** @type {string} */ label, /** @type {any} */ control) =>
    h('div', { class: 'field' }, h('label', { for: `filter-${name}`, text: label }), control);
  const statuses = ['open', 'approved', 'rejected'];
  const queues = ['standard', 'advanced', 'duplicates', 'exceptions'];
  return h(
    'form',
    {
      id: 'queue-filters',
      class: 'filters card',
      'aria-label': tr('queue.filters'),
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const form = /** @type {HTMLFormElement} */ (event.currentTarget);
        const data = new FormData(form);
        /** @type {Record<string, string>} */
        const next = {};
        for (const [key, entry] of data.entries()) if (typeof entry === 'string' && entry) next[key] = entry;
        if (next.dueBefore) next.dueBefore = new Date(next.dueBefore).toISOString();
        state.cursors = [];
        location.hash = `#/queue${queryString(next)}`;
      },
    },
    field(
      'status',
      tr('queue.status'),
      select(
        'status',
        statuses.map((status) => [status, tr(`caseStatus.${status}`)]),
      ),
    ),
    field(
      'queue',
      tr('queue.queue'),
      select('queue', [['', tr('queue.any')], ...queues.map((queue) => [queue, tr(`queue.name.${queue}`)])]),
    ),
    field(
      'assignee',
      tr('queue.assignee'),
      h('input', { id: 'filter-assignee', name: 'assignee', value: value('assignee'), size: 12, list: 'assignee-me' }),
    ),
    h(
      'datalist',
      { id: 'assignee-me' },
      h('option', { value: state.session?.userId ?? '', text: tr('queue.assignee.me') }),
      h('option', { value: 'unassigned', text: tr('case.unassigned') }),
    ),
    field(
      'level',
      tr('queue.level'),
      select('level', [
        ['', tr('queue.any')],
        ['basic', tr('level.basic')],
        ['advanced', tr('level.advanced')],
      ]),
    ),
    field(
      'dueBefore',
      tr('queue.dueBefore'),
      h('input', {
        id: 'filter-dueBefore',
        name: 'dueBefore',
        type: 'datetime-local',
        value: value('dueBefore') ? localInputValue(value('dueBefore')) : '',
      }),
    ),
    field(
      'from',
      tr('queue.from'),
      h('input', { id: 'filter-from', name: 'from', type: 'date', value: value('from') }),
    ),
    field('to', tr('queue.to'), h('input', { id: 'filter-to', name: 'to', type: 'date', value: value('to') })),
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'primary', text: tr('queue.apply') }),
      h('a', { href: '#/queue', class: 'button', text: tr('queue.reset') }),
    ),
  );
}

/** `2026-01-01T12:00:00.000Z` -> `2026-01-01T13:00` in the browser's zone, for a datetime-local field. */
function localInputValue(/** @type {string} */ iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/** Query parameters of GET /v1/cases from the route's (dates as whole days in the browser's zone). */
function casesQuery(/** @type {URLSearchParams} */ params, /** @type {string | undefined} */ cursor) {
  const day = (/** @type {string} */ name, /** @type {boolean} */ end) => {
    const text = params.get(name);
    if (!text) return undefined;
    const date = new Date(`${text}T${end ? '23:59:59.999' : '00:00:00.000'}`);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  };
  return queryString({
    status: params.get('status') ?? undefined,
    queue: params.get('queue') ?? undefined,
    assignee: params.get('assignee') ?? undefined,
    level: params.get('level') ?? undefined,
    dueBefore: params.get('dueBefore') ?? undefined,
    from: day('from', false),
    to: day('to', true),
    limit: PAGE_SIZE,
    cursor,
  });
}

async function renderQueue(/** @type {URLSearchParams} */ params, /** @type {number} */ renderId) {
  const requested = Number(params.get('page') ?? '1');
  // Cursors live in this tab only: a page opened without its cursor (a reload) starts over at 1.
  const page = Number.isInteger(requested) && requested > 1 && state.cursors[requested - 2] ? requested : 1;
  const cursor = page > 1 ? state.cursors[page - 2] : undefined;
  if (page === 1) params.delete('page');
  const heading = h('h1', { text: tr('queue.heading') });
  const results = h(
    'section',
    { id: 'queue-results', 'aria-busy': 'true' },
    h('p', { class: 'muted', text: tr('common.loading') }),
  );
  setPage(heading, queueFilters(params), results);
  let body;
  try {
    body = await api.get(`/v1/cases${casesQuery(params, cursor)}`);
  } catch (error) {
    if (renderId !== state.renderId) return;
    results.replaceChildren(errorBox(error));
    results.setAttribute('aria-busy', 'false');
    return;
  }
  if (renderId !== state.renderId) return;
  /** @type {any[]} */
  const items = Array.isArray(body.items) ? body.items : [];
  if (body.nextCursor) state.cursors[page - 1] = body.nextCursor;
  const now = Date.now();
  const overdue = items.filter((item) => slaState(dueOf(item), now).state === 'overdue').length;
  const pageLink = (/** @type {number} */ target) => {
    const next = new URLSearchParams(params);
    next.set('page', String(target));
    return `#/queue?${next.toString()}`;
  };
  const table = h(
    'table',
    { class: 'queue', id: 'queue-table' },
    h('caption', { class: 'visually-hidden', text: tr('queue.heading') }),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'queue.case',
          'queue.status',
          'queue.level',
          'queue.queue',
          'queue.assignee',
          'queue.due',
          'queue.reasons',
          'queue.created',
        ].map((key) => h('th', { scope: 'col', text: tr(key) })),
      ),
    ),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          { 'data-case': item.verificationId },
          h(
            'td',
            {},
            h('a', {
              href: `#/cases/${encodeURIComponent(item.verificationId)}`,
              class: 'mono',
              text: item.verificationId,
            }),
          ),
          h('td', {}, caseStatusBadge(item.status, item.decision)),
          h('td', { text: item.level ? tr(`level.${item.level}`) : '' }),
          h('td', { text: item.queue ?? item.review?.queue ?? '' }),
          h('td', { text: item.assignee ?? item.review?.assignee ?? tr('case.unassigned') }),
          h('td', {}, slaCell(dueOf(item), item.escalated ?? item.review?.escalated)),
          h(
            'td',
            {},
            (item.reasons ?? []).map((/** @type {any} */ reason) => {
              const code = typeof reason === 'string' ? reason : reason.code;
              return h('code', { class: 'chip', title: describeReason(code, state.language).message, text: code });
            }),
          ),
          h('td', { text: formatTime(item.createdAt, state.language) }),
        ),
      ),
    ),
  );
  results.replaceChildren(
    h(
      'p',
      { class: 'summary', id: 'queue-summary' },
      tr('queue.page', { page }),
      ' · ',
      tr('queue.count', { count: items.length }),
      overdue > 0
        ? [' · ', h('strong', { class: 'sla-overdue', text: tr('queue.overdueCount', { count: overdue }) })]
        : null,
    ),
    items.length === 0 ? h('p', { class: 'empty', text: tr('queue.empty') }) : h('div', { class: 'table-wrap' }, table),
    h(
      'nav',
      { class: 'pager', 'aria-label': tr('queue.page', { page }) },
      page > 1 ? h('a', { class: 'button', href: pageLink(page - 1), rel: 'prev', text: tr('queue.previous') }) : null,
      body.nextCursor
        ? h('a', { class: 'button', href: pageLink(page + 1), rel: 'next', id: 'next-page', text: tr('queue.next') })
        : null,
    ),
  );
  results.setAttribute('aria-busy', 'false');
}

function dueOf(/** @type {any} */ item) {
  return item.dueAt ?? item.slaDueAt ?? item.review?.dueAt ?? item.sla?.dueAt;
}

// ---------------------------------------------------------------- case

/** The review task of a case, whichever name the API gives it. */
function reviewOf(/** @type {any} */ record) {
  const review = record.review;
  if (review && typeof review === 'object' && 'history' in review) return review.current;
  return review ?? undefined;
}

function attemptDocuments(/** @type {any} */ attempt) {
  if (Array.isArray(attempt.documents)) return attempt.documents;
  if (Array.isArray(attempt.slots)) return attempt.slots;
  if (attempt.slots && typeof attempt.slots === 'object') {
    return Object.entries(attempt.slots).map(([slot, result]) => ({ slot, .../** @type {object} */ (result) }));
  }
  return [];
}

async function renderCase(/** @type {string} */ id, /** @type {number} */ renderId) {
  setPage(h('h1', { text: tr('case.heading', { id }) }), h('p', { class: 'muted', text: tr('common.loading') }));
  let record;
  try {
    record = await api.get(`/v1/cases/${encodeURIComponent(id)}`);
  } catch (error) {
    if (renderId !== state.renderId) return;
    setPage(
      h('h1', { text: tr('case.heading', { id }) }),
      errorBox(error),
      h('p', {}, h('a', { href: '#/queue', text: tr('case.back') })),
    );
    return;
  }
  if (renderId !== state.renderId) return;
  const review = reviewOf(record);
  const personal = record.personalData ?? {};
  const canViewDocuments = hasRole('compliance_reviewer', 'compliance_approver');
  const auditSection = h(
    'section',
    { id: 'audit', class: 'card', 'aria-labelledby': 'audit-heading' },
    h('h2', { id: 'audit-heading', text: tr('case.audit') }),
  );
  const attempts = Array.isArray(record.attempts) ? record.attempts : [];

  const left = h(
    'div',
    { class: 'column' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'summary-heading' },
      h('h2', { id: 'summary-heading', text: tr('case.summary') }),
      definitionList([
        [tr('queue.status'), statusBadge(record.status)],
        [tr('case.level'), record.level ? tr(`level.${record.level}`) : undefined],
        [tr('case.documentType'), record.documentType ? tr(`document.${record.documentType}`) : undefined],
        [tr('case.nationality'), record.nationality],
        [tr('case.user'), record.userId ? h('span', { class: 'mono', text: record.userId }) : undefined],
        [tr('case.created'), formatTime(record.createdAt, state.language)],
        [tr('case.updated'), formatTime(record.updatedAt, state.language)],
      ]),
      h('h3', { text: tr('case.reasons') }),
      reasonList(record.reasons),
      h('h3', { text: tr('case.risk') }),
      riskFlags(record.riskFlags),
    ),
    h(
      'section',
      { class: 'card', id: 'personal-data', 'aria-labelledby': 'personal-heading' },
      h('h2', { id: 'personal-heading', text: tr('case.personal') }),
      definitionList([
        [tr('case.fullName'), personal.fullName],
        [tr('case.dateOfBirth'), personal.dateOfBirth],
        [tr('case.address'), personal.address],
      ]),
      h('p', { class: 'muted small', text: tr('case.personalAudited') }),
    ),
    h(
      'section',
      { class: 'card', id: 'attempts', 'aria-labelledby': 'attempts-heading' },
      h('h2', { id: 'attempts-heading', text: tr('case.attempts') }),
      attempts.length === 0 ? h('p', { class: 'muted', text: tr('common.none') }) : null,
      attempts.map((/** @type {any} */ attempt) => attemptBlock(id, attempt, canViewDocuments, auditSection)),
    ),
    h(
      'section',
      { class: 'card', id: 'processor-log', 'aria-labelledby': 'processor-heading' },
      h('h2', { id: 'processor-heading', text: tr('case.processorLog') }),
      processorLog(record.processorLog ?? record.processors),
    ),
  );

  const right = h(
    'div',
    { class: 'column' },
    reviewSection(id, review, record.actions),
    decisionSection(id, review),
    notesSection(id, record.notes),
    auditSection,
    hasRole('compliance_reviewer', 'compliance_approver')
      ? h(
          'p',
          {},
          h('a', { class: 'button', href: `#/exports?ids=${encodeURIComponent(id)}`, text: tr('case.exportThis') }),
        )
      : null,
  );

  setPage(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/queue', text: `← ${tr('case.back')}` }),
      ' ',
      // On a tablet the decision sits below the evidence: one keystroke away.
      h('button', {
        type: 'button',
        class: 'link-button',
        id: 'to-decision',
        text: tr('case.toDecision'),
        onclick: () => {
          const target = document.getElementById('decision');
          target?.scrollIntoView({ block: 'start' });
          /** @type {HTMLElement | null | undefined} */ (target?.querySelector('input, button'))?.focus();
        },
      }),
    ),
    h('h1', { class: 'mono-heading' }, tr('case.heading', { id })),
    h('div', { class: 'case-grid' }, left, right),
  );
  await loadAudit(id, auditSection);
}

function riskFlags(/** @type {unknown} */ flags) {
  const list = Array.isArray(flags) ? flags : [];
  if (list.length === 0) return h('p', { class: 'muted', text: tr('common.none') });
  return h(
    'ul',
    { class: 'chips' },
    list.map((flag) => {
      const text = typeof flag === 'string' ? flag : (flag.flag ?? flag.code ?? JSON.stringify(flag));
      const detail = typeof flag === 'object' && flag && flag.detail ? ` (${flag.detail})` : '';
      return h('li', { class: 'chip risk', text: `${text}${detail}` });
    }),
  );
}

function attemptBlock(
  /** @type {string} */ caseId,
  /** @type {any} */ attempt,
  /** @type {boolean} */ canViewDocuments,
  /** @type {HTMLElement} */ auditSection,
) {
  const documents = attemptDocuments(attempt);
  return h(
    'article',
    { class: 'attempt', 'data-attempt': attempt.attemptId },
    h(
      'h3',
      {},
      tr('case.attempt', { id: String(attempt.attemptId ?? '').slice(0, 8) }),
      ' ',
      statusBadge(attempt.status),
      ' ',
      h('span', { class: 'muted small', text: formatTime(attempt.createdAt, state.language) }),
    ),
    attempt.reasons?.length ? reasonList(attempt.reasons) : null,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'slots' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['case.slot', 'case.result', 'case.reasons', 'case.metrics', 'case.processors'].map((key) =>
              h('th', { scope: 'col', text: tr(key) }),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          documents.map((/** @type {any} */ document) =>
            h(
              'tr',
              { 'data-slot': document.slot },
              h(
                'th',
                { scope: 'row' },
                h('span', { text: tr(`slot.${document.slot}`) }),
                canViewDocuments && (document.viewable ?? document.result === 'accepted')
                  ? h('button', {
                      type: 'button',
                      class: 'view-document',
                      'data-slot': document.slot,
                      text: tr('case.viewDocument'),
                      'aria-label': `${tr('case.viewDocument')}: ${tr(`slot.${document.slot}`)}`,
                      onclick: () => openViewDialog(caseId, document.slot, auditSection),
                    })
                  : null,
              ),
              h(
                'td',
                {},
                document.result
                  ? h('span', { class: `badge result-${document.result}`, text: tr(`result.${document.result}`) })
                  : '',
              ),
              h('td', {}, reasonList(document.reasons)),
              h('td', {}, metricsList(document.metrics)),
              h('td', { class: 'small', text: (document.processors ?? []).join(', ') }),
            ),
          ),
        ),
      ),
    ),
  );
}

function metricsList(/** @type {unknown} */ metrics) {
  if (!metrics || typeof metrics !== 'object') return '';
  const entries = Object.entries(metrics)
    .filter(([, value]) => typeof value === 'number')
    .sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '';
  const number = new Intl.NumberFormat(state.language, { maximumFractionDigits: 3 });
  return h(
    'details',
    { class: 'metrics-details' },
    h('summary', { text: tr('case.metricsCount', { count: entries.length }) }),
    h(
      'ul',
      { class: 'metrics small' },
      entries.map(([name, value]) =>
        h('li', {}, h('span', { text: name }), ' ', h('span', { class: 'mono', text: number.format(Number(value)) })),
      ),
    ),
  );
}

function processorLog(/** @type {unknown} */ log) {
  const entries = Array.isArray(log) ? log : [];
  if (entries.length === 0) return h('p', { class: 'muted', text: tr('common.none') });
  return h(
    'ol',
    { class: 'log' },
    entries.map((/** @type {any} */ entry) =>
      h(
        'li',
        {},
        h('span', { class: 'muted small', text: formatTime(entry.at, state.language) }),
        ' ',
        h('strong', { text: entry.processor ?? entry.service ?? entry.operation ?? '' }),
        entry.operation && entry.processor ? ` ${entry.operation}` : '',
        entry.slot ? ` · ${tr(`slot.${entry.slot}`)}` : '',
        entry.purpose ? ` · ${entry.purpose}` : '',
      ),
    ),
  );
}

function reviewSection(/** @type {string} */ id, /** @type {any} */ review, /** @type {any} */ actions) {
  const section = h(
    'section',
    { class: 'card', id: 'review', 'aria-labelledby': 'review-heading' },
    h('h2', { id: 'review-heading', text: tr('case.review') }),
  );
  if (!review) {
    section.append(h('p', { class: 'muted', text: tr('common.none') }));
    return section;
  }
  section.append(
    definitionList([
      [
        tr('case.due'),
        h(
          'span',
          {},
          review.decision
            ? h('span', {
                class: 'badge',
                text: tr('case.decidedAt', { time: formatTime(review.decidedAt, state.language) }),
              })
            : slaCell(review.dueAt, review.escalated),
          h('br'),
          h('span', { class: 'muted small', text: formatTime(review.dueAt, state.language) }),
        ),
      ],
      [tr('case.queue'), review.queue],
      [tr('case.priority'), review.priority],
      [tr('case.assignee'), review.assignee ?? tr('case.unassigned')],
      [tr('case.escalations'), Array.isArray(review.escalations) ? review.escalations.length : review.escalations],
    ]),
  );
  if (Array.isArray(review.failedDecisions) && review.failedDecisions.length > 0) {
    section.append(failedDecisionList(review.failedDecisions));
  }
  const canClaim = !review.decision && hasRole('compliance_reviewer') && (actions?.claim?.available ?? true);
  const canAssign = !review.decision && hasRole('compliance_approver', 'admin') && (actions?.assign?.available ?? true);
  if (canClaim || canAssign) {
    const assignee = h('input', { id: 'assignee', name: 'assignee', required: true, size: 16, autocomplete: 'off' });
    section.append(
      h(
        'div',
        { class: 'actions' },
        canClaim &&
          h('button', {
            type: 'button',
            id: 'claim',
            text: tr('case.claim'),
            onclick: () => caseAction(id, `/v1/cases/${encodeURIComponent(id)}/claim`, {}, tr('case.claimed')),
          }),
        canAssign &&
          h(
            'form',
            {
              class: 'inline',
              onsubmit: (/** @type {Event} */ event) => {
                event.preventDefault();
                const user = assignee.value.trim();
                if (user)
                  void caseAction(
                    id,
                    `/v1/cases/${encodeURIComponent(id)}/assign`,
                    { assignee: user },
                    tr('case.assigned', { user }),
                  );
              },
            },
            h('label', { for: 'assignee', text: tr('case.assign') }),
            assignee,
            h('button', { type: 'submit', text: tr('case.assignSubmit') }),
          ),
      ),
    );
  }
  return section;
}

/**
 * Decisions taken on this review that the workflow could not carry out (its finalizing step
 * failed, e.g. the document already verifies another account): the review was reopened in the
 * exceptions queue, and each failed decision stays on record with its error.
 */
function failedDecisionList(/** @type {any[]} */ failed) {
  return h(
    'div',
    { class: 'failed-decisions', id: 'failed-decisions', role: 'note' },
    h('p', { class: 'failed-lead', text: tr('case.failedDecisions') }),
    h(
      'ul',
      {},
      failed.map((/** @type {any} */ entry) =>
        h(
          'li',
          { 'data-decision': entry.decision },
          tr('case.failedDecision', {
            decision: tr(entry.decision === 'approve' ? 'case.approve' : 'case.reject'),
            user: entry.decidedBy,
            time: formatTime(entry.decidedAt, state.language),
          }),
          ' ',
          h('code', { text: entry.error }),
          Array.isArray(entry.reasons) && entry.reasons.length > 0
            ? [
                ' ',
                tr('case.reasons'),
                ': ',
                entry.reasons.map((/** @type {string} */ code, /** @type {number} */ index) => [
                  index > 0 ? ', ' : '',
                  h('code', { text: code }),
                ]),
              ]
            : null,
          entry.note ? h('p', { class: 'muted small', text: entry.note }) : null,
        ),
      ),
    ),
  );
}

async function caseAction(
  /** @type {string} */ id,
  /** @type {string} */ path,
  /** @type {unknown} */ body,
  /** @type {string} */ done,
) {
  try {
    await api.post(path, body);
    await route();
    showNotice(done);
  } catch (error) {
    showApiError(error);
  }
}

function showApiError(/** @type {unknown} */ error) {
  const apiError = error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error));
  showNotice(`${apiError.status === 403 ? tr('common.forbidden') : apiError.message} (${apiError.code})`, 'error');
}

function decisionSection(/** @type {string} */ id, /** @type {any} */ review) {
  const section = h(
    'section',
    { class: 'card', id: 'decision', 'aria-labelledby': 'decision-heading' },
    h('h2', { id: 'decision-heading', text: tr('case.decision') }),
  );
  if (!hasRole('compliance_reviewer')) {
    section.append(h('p', { class: 'muted', text: tr('case.decisionOnlyReviewer') }));
    return section;
  }
  if (review?.decision) {
    section.append(
      definitionList([
        [tr('case.decision'), tr(review.decision === 'approve' ? 'case.approve' : 'case.reject')],
        [tr('exports.decidedBy'), review.decidedBy],
      ]),
    );
    return section;
  }
  // A case a colleague holds is theirs to decide (the API answers 409 CASE_ALREADY_CLAIMED).
  if (review?.assignee && review.assignee !== state.session?.userId) {
    section.append(h('p', { class: 'muted', id: 'decision-held', text: tr('case.heldBy', { user: review.assignee }) }));
  }
  const problem = h('p', { class: 'field-error', id: 'decision-error', role: 'alert', hidden: true });
  const codes = h(
    'fieldset',
    { class: 'codes', id: 'reason-codes', disabled: true },
    h('legend', { text: tr('case.reasonCodes') }),
    REVIEW_REASON_CODES.map((code) =>
      h(
        'label',
        { class: 'code-choice' },
        h('input', { type: 'checkbox', name: 'reasons', value: code }),
        ' ',
        h('span', { text: describeReason(code, state.language).message }),
        ' ',
        h('code', { text: code }),
      ),
    ),
  );
  const note = h('textarea', { id: 'decision-note', name: 'note', rows: 3, maxlength: 2000, required: true });
  const form = h(
    'form',
    {
      id: 'decision-form',
      novalidate: true,
      onchange: () => {
        const decision = /** @type {HTMLFormElement} */ (form).elements.namedItem('decision');
        codes.disabled = /** @type {RadioNodeList} */ (decision).value !== 'reject';
      },
      onsubmit: async (/** @type {Event} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (form));
        const decision = data.get('decision');
        const reasons = decision === 'reject' ? data.getAll('reasons').map(String) : [];
        const text = String(data.get('note') ?? '').trim();
        const refusal = !decision
          ? 'case.needDecision'
          : decision === 'reject' && reasons.length === 0
            ? 'case.needReason'
            : !text
              ? 'case.needNote'
              : undefined;
        if (refusal) {
          problem.textContent = tr(refusal);
          problem.hidden = false;
          return;
        }
        problem.hidden = true;
        const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
        submit.disabled = true;
        try {
          const answer = await api.post(`/v1/reviews/${encodeURIComponent(id)}/decision`, {
            decision,
            reasons: decision === 'reject' ? reasons : undefined,
            note: text,
          });
          const label = tr(decision === 'approve' ? 'case.approve' : 'case.reject');
          await route();
          showNotice(tr(answer.status === 202 ? 'case.decidedLate' : 'case.decided', { decision: label }));
        } catch (error) {
          submit.disabled = false;
          if (error instanceof ApiError && error.status === 409) {
            const key =
              error.code === 'REVIEW_ALREADY_DECIDED'
                ? 'case.conflict'
                : error.code === 'DOCUMENT_ALREADY_CLAIMED'
                  ? 'case.documentClaimed'
                  : error.code === 'CASE_ALREADY_CLAIMED'
                    ? 'case.heldByOther'
                    : 'case.notOpen';
            await route();
            showNotice(tr(key, { code: error.code }), 'error');
            return;
          }
          showApiError(error);
        }
      },
    },
    h(
      'fieldset',
      { class: 'choices' },
      h('legend', { class: 'visually-hidden', text: tr('case.decision') }),
      h(
        'label',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'decision', value: 'approve', id: 'decision-approve' }),
        ' ',
        tr('case.approve'),
      ),
      h(
        'label',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'decision', value: 'reject', id: 'decision-reject' }),
        ' ',
        tr('case.reject'),
      ),
    ),
    codes,
    h('label', { for: 'decision-note', text: tr('case.note') }),
    note,
    problem,
    h('button', { type: 'submit', class: 'primary', text: tr('case.decide') }),
  );
  section.append(form);
  return section;
}

function notesSection(/** @type {string} */ id, /** @type {unknown} */ notes) {
  const list = Array.isArray(notes) ? notes : [];
  const text = h('textarea', { id: 'note-text', name: 'text', rows: 2, maxlength: 2000, required: true });
  return h(
    'section',
    { class: 'card', id: 'notes', 'aria-labelledby': 'notes-heading' },
    h('h2', { id: 'notes-heading', text: tr('case.notes') }),
    list.length === 0
      ? h('p', { class: 'muted', text: tr('common.none') })
      : h(
          'ol',
          { class: 'notes' },
          list.map((/** @type {any} */ note) =>
            h(
              'li',
              {},
              h(
                'p',
                { class: 'muted small' },
                `${note.author ?? note.by ?? note.createdBy ?? ''} · ${formatTime(note.at ?? note.createdAt, state.language)}`,
              ),
              h('p', { class: 'note-text', text: note.text ?? '' }),
            ),
          ),
        ),
    hasRole('compliance_reviewer', 'compliance_approver')
      ? h(
          'form',
          {
            id: 'note-form',
            onsubmit: (/** @type {Event} */ event) => {
              event.preventDefault();
              const value = text.value.trim();
              if (value)
                void caseAction(id, `/v1/cases/${encodeURIComponent(id)}/notes`, { text: value }, tr('case.noteAdded'));
            },
          },
          h('label', { for: 'note-text', text: tr('case.noteText') }),
          text,
          h('button', { type: 'submit', text: tr('case.addNote') }),
        )
      : null,
  );
}

async function loadAudit(/** @type {string} */ id, /** @type {HTMLElement} */ section) {
  const heading = section.querySelector('h2');
  section.replaceChildren(...(heading ? [heading] : []), h('p', { class: 'muted', text: tr('common.loading') }));
  section.setAttribute('aria-busy', 'true');
  let body;
  try {
    body = await api.get(`/v1/cases/${encodeURIComponent(id)}/audit`);
  } catch (error) {
    section.replaceChildren(...(heading ? [heading] : []), errorBox(error));
    section.setAttribute('aria-busy', 'false');
    return;
  }
  /** @type {any[]} */
  const events = body.events ?? body.items ?? [];
  const chain = body.chain ?? body.verification ?? body.integrity;
  const intact =
    chain === undefined ? undefined : typeof chain === 'boolean' ? chain : (chain.intact ?? chain.ok ?? chain.valid);
  section.replaceChildren(
    ...(heading ? [heading] : []),
    intact === undefined
      ? null
      : h(
          'p',
          { class: intact ? 'chain-ok' : 'chain-broken', id: 'audit-chain' },
          intact
            ? tr('case.auditIntact')
            : tr('case.auditBroken', { detail: chain.reason ?? chain.brokenAt ?? JSON.stringify(chain) }),
        ),
    h(
      'ol',
      { class: 'timeline', id: 'audit-timeline' },
      events.map((event) =>
        h(
          'li',
          { 'data-action': event.action },
          h('span', {
            class: 'muted small',
            text: `#${event.sequence ?? ''} · ${formatTime(event.at, state.language)}`,
          }),
          h('strong', { class: 'audit-action', text: event.action }),
          h('span', { class: 'audit-actor', text: event.actor ?? '' }),
          event.reason ? h('span', { class: 'audit-reason', text: `“${event.reason}”` }) : null,
        ),
      ),
    ),
  );
  section.setAttribute('aria-busy', 'false');
}

// ---------------------------------------------------------------- document view

function openViewDialog(
  /** @type {string} */ caseId,
  /** @type {string} */ slot,
  /** @type {HTMLElement} */ auditSection,
) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('view-dialog'));
  const reason = h('textarea', {
    id: 'view-reason',
    name: 'reason',
    rows: 3,
    minlength: 3,
    maxlength: 500,
    required: true,
    'aria-describedby': 'view-error',
  });
  const problem = h('p', { class: 'field-error', id: 'view-error', role: 'alert', hidden: true });
  const output = h('div', { id: 'view-output' });
  const close = () => {
    dialog.close();
    dialog.replaceChildren();
  };
  const form = h(
    'form',
    {
      id: 'view-form',
      novalidate: true,
      onsubmit: async (/** @type {Event} */ event) => {
        event.preventDefault();
        const text = reason.value.trim();
        if (text.length < 3) {
          problem.textContent = tr('view.needReason');
          problem.hidden = false;
          reason.focus();
          return;
        }
        problem.hidden = true;
        const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
        submit.disabled = true;
        try {
          const answer = await api.post(
            `/v1/cases/${encodeURIComponent(caseId)}/documents/${encodeURIComponent(slot)}/view`,
            { reason: text },
          );
          const view = answer.body;
          form.hidden = true;
          output.replaceChildren(
            h('img', {
              id: 'rendition',
              class: 'rendition',
              src: view.url,
              alt: tr('view.alt', { slot: tr(`slot.${slot}`) }),
              referrerpolicy: 'no-referrer',
            }),
            h(
              'p',
              { class: 'muted small' },
              tr('view.accessId', { id: view.accessId }),
              ' · ',
              tr('view.expires', { time: formatTime(view.expiresAt, state.language) }),
            ),
          );
          void loadAudit(caseId, auditSection);
        } catch (error) {
          submit.disabled = false;
          output.replaceChildren(errorBox(error));
        }
      },
    },
    h('p', { text: tr('view.intro') }),
    h('label', { for: 'view-reason', text: tr('view.reason') }),
    reason,
    problem,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', text: tr('view.submit') }),
      h('button', { type: 'button', text: tr('common.cancel'), onclick: close }),
    ),
  );
  dialog.replaceChildren(
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: 'view-heading', text: tr('view.heading', { slot: tr(`slot.${slot}`) }) }),
      h('button', { type: 'button', class: 'link-button', id: 'view-close', text: tr('common.close'), onclick: close }),
    ),
    form,
    output,
  );
  dialog.addEventListener('close', () => dialog.replaceChildren(), { once: true });
  dialog.showModal();
  reason.focus();
}

// ---------------------------------------------------------------- support lookup

async function renderLookup(/** @type {string | undefined} */ id, /** @type {number} */ renderId) {
  const field = h('input', {
    id: 'lookup-id',
    name: 'id',
    required: true,
    value: id ?? '',
    size: 40,
    autocomplete: 'off',
    class: 'mono',
  });
  const form = h(
    'form',
    {
      id: 'lookup-form',
      class: 'card inline-form',
      onsubmit: (/** @type {Event} */ event) => {
        event.preventDefault();
        const value = field.value.trim();
        if (value) location.hash = `#/lookup/${encodeURIComponent(value)}`;
      },
    },
    h('label', { for: 'lookup-id', text: tr('lookup.id') }),
    field,
    h('button', { type: 'submit', class: 'primary', text: tr('lookup.submit') }),
  );
  const result = h('section', { id: 'lookup-result' });
  setPage(h('h1', { text: tr('lookup.heading') }), h('p', { class: 'muted', text: tr('lookup.intro') }), form, result);
  if (!id) return;
  result.append(h('p', { class: 'muted', text: tr('common.loading') }));
  let body;
  try {
    body = await api.get(`/v1/support/verifications/${encodeURIComponent(id)}`);
  } catch (error) {
    if (renderId === state.renderId) result.replaceChildren(errorBox(error));
    return;
  }
  if (renderId !== state.renderId) return;
  const thumbnail = body.thumbnail;
  const thumbnailSource =
    typeof thumbnail === 'string'
      ? thumbnail
      : (thumbnail?.url ??
        thumbnail?.dataUrl ??
        (thumbnail?.base64 ? `data:${thumbnail.contentType ?? 'image/jpeg'};base64,${thumbnail.base64}` : undefined));
  result.replaceChildren(
    h(
      'div',
      { class: 'card' },
      definitionList([
        [tr('queue.status'), statusBadge(body.status)],
        [tr('case.level'), body.level ? tr(`level.${body.level}`) : undefined],
        [tr('lookup.firstName'), body.firstName],
      ]),
      h('h2', { text: tr('case.reasons') }),
      reasonList(body.reasons),
      h('h2', { text: tr('lookup.thumbnail') }),
      thumbnailSource
        ? h('img', {
            class: 'thumbnail',
            id: 'support-thumbnail',
            src: thumbnailSource,
            alt: tr('lookup.thumbnail'),
            referrerpolicy: 'no-referrer',
          })
        : h('p', { class: 'muted', text: tr('lookup.noThumbnail') }),
      h('h2', { text: tr('lookup.history') }),
      h(
        'ol',
        { class: 'log' },
        (body.attempts ?? []).map((/** @type {any} */ attempt) =>
          h(
            'li',
            {},
            statusBadge(attempt.status),
            ' ',
            h('span', { class: 'muted small', text: formatTime(attempt.createdAt, state.language) }),
            reasonList(attempt.reasons),
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- exports

function rememberedExports() {
  try {
    const list = JSON.parse(sessionStorage.getItem(EXPORTS_KEY) ?? '[]');
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

function renderExports(/** @type {URLSearchParams} */ params) {
  const ids = h('textarea', { id: 'export-ids', name: 'ids', rows: 3, required: true, class: 'mono' });
  ids.value = (params.get('ids') ?? '').split(',').filter(Boolean).join('\n');
  const reason = h('textarea', {
    id: 'export-reason',
    name: 'reason',
    rows: 2,
    minlength: 3,
    maxlength: 500,
    required: true,
  });
  const outcome = h('div', { id: 'export-outcome', 'aria-live': 'polite' });
  const requestForm = h(
    'form',
    {
      id: 'export-form',
      novalidate: true,
      onsubmit: async (/** @type {Event} */ event) => {
        event.preventDefault();
        const verificationIds = parseIdList(ids.value);
        if (verificationIds.length === 0) {
          outcome.replaceChildren(h('p', { class: 'field-error', role: 'alert', text: tr('exports.needIds') }));
          return;
        }
        if (reason.value.trim().length < 3) {
          outcome.replaceChildren(h('p', { class: 'field-error', role: 'alert', text: tr('view.needReason') }));
          return;
        }
        try {
          const answer = await api.post('/v1/exports', { verificationIds, reason: reason.value.trim() });
          const created = answer.body;
          sessionStorage.setItem(EXPORTS_KEY, JSON.stringify([created.exportId, ...rememberedExports()].slice(0, 20)));
          const link = new URL(`#/exports/${created.exportId}`, location.href).toString();
          outcome.replaceChildren(
            h(
              'div',
              { class: 'success', id: 'export-created', 'data-export': created.exportId },
              h('p', {
                text: tr('exports.requested', {
                  id: created.exportId,
                  time: formatTime(created.expiresAt, state.language),
                }),
              }),
              h(
                'p',
                {},
                h('a', { href: `#/exports/${created.exportId}`, class: 'mono', id: 'export-link', text: link }),
              ),
            ),
          );
        } catch (error) {
          outcome.replaceChildren(errorBox(error));
        }
      },
    },
    h('h2', { text: tr('exports.request') }),
    h('p', { class: 'muted', text: tr('exports.requestIntro') }),
    h('label', { for: 'export-ids', text: tr('exports.ids') }),
    ids,
    h('label', { for: 'export-reason', text: tr('exports.reason') }),
    reason,
    h('button', { type: 'submit', class: 'primary', text: tr('exports.submit') }),
    outcome,
  );
  const openField = h('input', {
    id: 'open-export-id',
    name: 'exportId',
    required: true,
    size: 38,
    class: 'mono',
    autocomplete: 'off',
  });
  const openForm = h(
    'form',
    {
      id: 'open-export-form',
      onsubmit: (/** @type {Event} */ event) => {
        event.preventDefault();
        const value = openField.value.trim();
        if (value) location.hash = `#/exports/${encodeURIComponent(value)}`;
      },
    },
    h('h2', { text: tr('exports.open') }),
    h('label', { for: 'open-export-id', text: tr('exports.id') }),
    h('div', { class: 'inline' }, openField, h('button', { type: 'submit', text: tr('exports.openSubmit') })),
    rememberedExports().length > 0
      ? [
          h('h3', { text: tr('exports.mine') }),
          h(
            'ul',
            { class: 'plain' },
            rememberedExports().map((id) => h('li', {}, h('a', { href: `#/exports/${id}`, class: 'mono', text: id }))),
          ),
        ]
      : null,
  );
  setPage(
    h('h1', { text: tr('exports.heading') }),
    h(
      'div',
      { class: 'two-columns' },
      h('section', { class: 'card' }, requestForm),
      h('section', { class: 'card' }, openForm),
    ),
  );
}

async function renderExport(/** @type {string} */ id, /** @type {number} */ renderId) {
  setPage(h('h1', { text: tr('exports.detail', { id }) }), h('p', { class: 'muted', text: tr('common.loading') }));
  let record;
  try {
    record = await api.get(`/v1/exports/${encodeURIComponent(id)}`);
  } catch (error) {
    if (renderId === state.renderId) setPage(h('h1', { text: tr('exports.detail', { id }) }), errorBox(error));
    return;
  }
  if (renderId !== state.renderId) return;
  const mine = record.requestedBy === state.session?.userId;
  const pending = record.status === 'pending_approval';
  const note = h('input', { id: 'export-reject-note', name: 'note', maxlength: 1000, size: 30 });
  const decide = async (/** @type {'approve' | 'reject'} */ action) => {
    for (const button of document.querySelectorAll('#export-actions button'))
      /** @type {HTMLButtonElement} */ (button).disabled = true;
    try {
      const body = action === 'reject' && note.value.trim() ? { note: note.value.trim() } : {};
      await api.post(`/v1/exports/${encodeURIComponent(id)}/${action}`, body);
      await route();
      showNotice(tr(action === 'approve' ? 'exports.approved' : 'exports.rejected'));
    } catch (error) {
      await route();
      showApiError(error);
    }
  };
  setPage(
    h('p', { class: 'crumbs' }, h('a', { href: '#/exports', text: `← ${tr('exports.heading')}` })),
    h('h1', { class: 'mono-heading', text: tr('exports.detail', { id }) }),
    h(
      'section',
      { class: 'card', id: 'export-detail', 'data-status': record.status },
      definitionList([
        [
          tr('exports.status'),
          h('span', {
            class: `badge export-${record.status}`,
            id: 'export-status',
            text: tr(`exports.status.${record.status}`),
          }),
        ],
        [
          tr('exports.cases'),
          h(
            'ul',
            { class: 'plain' },
            (record.verificationIds ?? []).map((/** @type {string} */ caseId) =>
              h('li', {}, h('a', { href: `#/cases/${caseId}`, class: 'mono', text: caseId })),
            ),
          ),
        ],
        [tr('exports.reasonLabel'), record.reason],
        [tr('exports.requestedBy'), record.requestedBy],
        [tr('exports.requestedAt'), formatTime(record.requestedAt, state.language)],
        [tr('exports.expiresAt'), pending ? formatTime(record.expiresAt, state.language) : undefined],
        [tr('exports.decidedBy'), record.decidedBy],
        [tr('exports.decidedAt'), formatTime(record.decidedAt, state.language)],
      ]),
      record.downloadUrl
        ? h(
            'p',
            {},
            h('a', {
              class: 'button primary',
              id: 'export-download',
              href: record.downloadUrl,
              download: '',
              rel: 'noreferrer',
              text: tr('exports.download', { time: formatTime(record.downloadExpiresAt, state.language) }),
            }),
          )
        : record.downloadIssuedAt
          ? h('p', {
              class: 'muted',
              text: tr('exports.downloadIssued', { time: formatTime(record.downloadIssuedAt, state.language) }),
            })
          : null,
      pending && mine ? h('p', { class: 'muted', id: 'export-own', text: tr('exports.ownRequest') }) : null,
      pending && !mine && !hasRole('compliance_approver')
        ? h('p', { class: 'muted', text: tr('exports.notApprover') })
        : null,
      pending && !mine && hasRole('compliance_approver')
        ? h(
            'div',
            { class: 'actions', id: 'export-actions' },
            h('button', {
              type: 'button',
              class: 'primary',
              id: 'export-approve',
              text: tr('exports.approve'),
              onclick: () => decide('approve'),
            }),
            h('label', { for: 'export-reject-note', text: tr('exports.rejectNote') }),
            note,
            h('button', {
              type: 'button',
              class: 'danger',
              id: 'export-reject',
              text: tr('exports.reject'),
              onclick: () => decide('reject'),
            }),
          )
        : null,
    ),
  );
}

// ---------------------------------------------------------------- metrics

async function renderMetrics(/** @type {URLSearchParams} */ params, /** @type {number} */ renderId) {
  const today = new Date();
  const defaultFrom = new Date(today.getTime() - 30 * 86_400_000).toISOString().slice(0, 10);
  const from = params.get('from') ?? defaultFrom;
  const to = params.get('to') ?? today.toISOString().slice(0, 10);
  const fromField = h('input', { id: 'metrics-from', type: 'date', name: 'from', value: from });
  const toField = h('input', { id: 'metrics-to', type: 'date', name: 'to', value: to });
  const board = h(
    'div',
    { id: 'metrics-board', class: 'metrics-grid', 'aria-busy': 'true' },
    h('p', { class: 'muted', text: tr('common.loading') }),
  );
  setPage(
    h('h1', { text: tr('metrics.heading') }),
    h(
      'form',
      {
        class: 'card inline-form',
        id: 'metrics-form',
        onsubmit: (/** @type {Event} */ event) => {
          event.preventDefault();
          location.hash = `#/metrics${queryString({ from: fromField.value, to: toField.value })}`;
        },
      },
      h('label', { for: 'metrics-from', text: tr('metrics.from') }),
      fromField,
      h('label', { for: 'metrics-to', text: tr('metrics.to') }),
      toField,
      h('button', { type: 'submit', class: 'primary', text: tr('metrics.apply') }),
    ),
    board,
  );
  let body;
  try {
    // Whole UTC days, both ends included (the API's unit).
    const range = queryString({ from, to });
    body = await api.get(`/v1/metrics${range}`);
  } catch (error) {
    if (renderId === state.renderId) board.replaceChildren(errorBox(error));
    return;
  }
  if (renderId !== state.renderId) return;
  const lang = state.language;
  const count = (/** @type {number} */ n) => new Intl.NumberFormat(lang).format(n);
  /** @type {{ queue: string, open: number, overdue: number }[]} */
  const queues = Array.isArray(body.queues) ? body.queues : [];
  /** @type {{ code: string, count: number, rate: number | null }[]} */
  const rejections = Array.isArray(body.rejectionsByReason) ? body.rejectionsByReason : [];
  /** @type {{ date: string, approved: number, rejected: number, slaBreaches: number }[]} */
  const days = Array.isArray(body.days) ? body.days : [];
  /** Median and p90 of one kind of decision (automatic and manual differ by orders of magnitude). */
  const times = (/** @type {any} */ stats) =>
    /** @type {const} */ (['median', 'p90']).flatMap((which) => {
      const value = stats?.[`${which}Seconds`];
      return typeof value === 'number'
        ? [{ label: tr(`metrics.${which}`), value, text: formatDuration(value * 1000, lang) }]
        : [];
    });
  const tile = (/** @type {string} */ id, /** @type {string} */ title, /** @type {string} */ value, detail = '') =>
    h(
      'div',
      { class: 'tile card', id },
      h('p', { class: 'tile-title', text: title }),
      h('p', { class: 'tile-value', text: value }),
      detail ? h('p', { class: 'tile-detail muted small', text: detail }) : null,
    );
  const chartCard = (
    /** @type {string} */ id,
    /** @type {string} */ title,
    /** @type {boolean} */ empty,
    /** @type {() => HTMLElement} */ draw,
  ) =>
    h(
      'section',
      { class: 'card chart-card', id },
      empty ? [h('h2', { text: title }), h('p', { class: 'muted', text: tr('metrics.noData') })] : draw(),
    );
  const decisions = body.decisions ?? {};
  board.replaceChildren(
    h(
      'div',
      { class: 'tiles' },
      tile(
        'metric-decisions',
        tr('metrics.decisions'),
        count(decisions.total ?? 0),
        tr('metrics.decisionsSplit', {
          automatic: count(decisions.automatic ?? 0),
          manual: count(decisions.manual ?? 0),
        }),
      ),
      tile('metric-approval', tr('metrics.approvalRate'), formatPercent(body.approvalRate, lang)),
      tile('metric-breaches', tr('metrics.slaBreaches'), count(body.slaBreaches?.total ?? 0)),
      tile('metric-resubmission', tr('metrics.resubmission'), formatPercent(body.resubmissions?.successRate, lang)),
    ),
    chartCard('chart-days', tr('metrics.perDay'), days.length === 0, () =>
      renderColumnChart(
        document,
        tr('metrics.perDay'),
        days.map((day) => ({
          label: day.date.slice(5),
          values: [day.approved, day.rejected],
          text: tr('metrics.dayText', { date: day.date, approved: day.approved, rejected: day.rejected }),
        })),
        { series: [tr('caseStatus.approved'), tr('caseStatus.rejected')] },
      ),
    ),
    chartCard('chart-queues', tr('metrics.queueDepth'), queues.length === 0, () =>
      renderBarChart(
        document,
        tr('metrics.queueDepth'),
        queues.map((queue) => ({
          label: tr(`queue.name.${queue.queue}`),
          value: queue.open,
          text:
            queue.overdue > 0
              ? tr('metrics.openOverdue', { open: queue.open, overdue: queue.overdue })
              : count(queue.open),
        })),
        { labelWidth: 120, width: 520 },
      ),
    ),
    chartCard(
      'chart-time-automatic',
      `${tr('metrics.timeToDecision')}: ${tr('metrics.automatic')}`,
      times(body.timeToDecision?.automatic).length === 0,
      () =>
        renderBarChart(
          document,
          `${tr('metrics.timeToDecision')}: ${tr('metrics.automatic')}`,
          times(body.timeToDecision?.automatic),
          {
            tone: 'secondary',
            labelWidth: 90,
          },
        ),
    ),
    chartCard(
      'chart-time-manual',
      `${tr('metrics.timeToDecision')}: ${tr('metrics.manual')}`,
      times(body.timeToDecision?.manual).length === 0,
      () =>
        renderBarChart(
          document,
          `${tr('metrics.timeToDecision')}: ${tr('metrics.manual')}`,
          times(body.timeToDecision?.manual),
          {
            tone: 'secondary',
            labelWidth: 90,
          },
        ),
    ),
    chartCard('chart-rejections', tr('metrics.rejectionsByReason'), rejections.length === 0, () =>
      renderBarChart(
        document,
        tr('metrics.rejectionsByReason'),
        rejections.map((reason) => ({
          label: describeReason(reason.code, lang).message,
          value: reason.rate ?? 0,
          text: `${formatPercent(reason.rate, lang)} (${count(reason.count)})`,
        })),
        { tone: 'danger', labelWidth: 210 },
      ),
    ),
  );
  board.setAttribute('aria-busy', 'false');
}

// ---------------------------------------------------------------- routing

async function route() {
  const renderId = ++state.renderId;
  clearNotice();
  const [path = '', search = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (state.session && isExpired(state.session)) {
    signOut(false);
    showNotice(tr('signin.expired'), 'error');
    return;
  }
  renderChrome();
  if (!state.session || segments[0] === 'signin') {
    if (state.session && segments[0] === 'signin') {
      location.hash = defaultRoute();
      return;
    }
    renderSignIn();
    return;
  }
  switch (segments[0]) {
    case 'queue':
      return renderQueue(params, renderId);
    case 'cases':
      return segments[1] ? renderCase(segments[1], renderId) : renderQueue(params, renderId);
    case 'lookup':
      return renderLookup(segments[1], renderId);
    case 'exports':
      return segments[1] ? renderExport(segments[1], renderId) : renderExports(params);
    case 'metrics':
      return renderMetrics(params, renderId);
    default:
      location.hash = defaultRoute();
  }
}

async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, 'CONFIG_MISSING', 'config.json could not be loaded');
  const config = await response.json();
  if (!config?.auth?.mode) throw new ApiError(0, 'CONFIG_INVALID', 'config.json has no auth.mode');
  return config;
}

async function start() {
  const stored = localStorage.getItem(LANGUAGE_KEY);
  state.language = LANGUAGES.includes(/** @type {any} */ (stored))
    ? /** @type {any} */ (stored)
    : pickLanguage(navigator.languages ?? []);
  for (const button of document.querySelectorAll('[data-language]')) {
    button.addEventListener('click', () => {
      state.language = /** @type {any} */ (button.getAttribute('data-language'));
      localStorage.setItem(LANGUAGE_KEY, state.language);
      applyLanguage();
      void route();
    });
  }
  document.getElementById('sign-out')?.addEventListener('click', () => signOut(true));
  applyLanguage();
  try {
    state.config = await loadConfig();
  } catch (error) {
    setPage(h('h1', { text: tr('app.title') }), errorBox(error));
    return;
  }
  const baseUrl = String(state.config.apiBaseUrl ?? '');
  api = makeApi(baseUrl);

  /** @type {string | undefined} why a token given at start-up was refused */
  let startupNotice;
  // `#token=<jwt>`: take it, then wipe it from the address bar and the history entry.
  const fromFragment = tokenFromFragment(location.hash);
  if (fromFragment) {
    const [token, rest] = fromFragment;
    history.replaceState(null, '', `${location.pathname}${location.search}${rest}`);
    const refusal = acceptToken(token);
    // Shown once the first page is drawn: drawing a page clears the notices before it.
    if (refusal) startupNotice = tr(refusal);
  }
  // Back from the Cognito hosted UI with `?code=&state=`.
  if (state.config.auth.mode === 'cognito' && /[?&](code|error)=/.test(location.search)) {
    try {
      const token = await completeCognitoSignIn(state.config.auth, new URL(location.href));
      if (token) acceptToken(token);
    } catch (error) {
      startupNotice = `${error instanceof Error ? error.message : String(error)}`;
    }
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
  }
  if (!state.token) {
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) acceptToken(saved);
  }
  window.addEventListener('hashchange', () => void route());
  setInterval(tickCountdowns, 1000);
  if (!location.hash || location.hash === '#') {
    history.replaceState(
      null,
      '',
      `${location.pathname}${location.search}${state.session ? defaultRoute() : '#/signin'}`,
    );
  }
  await route();
  if (startupNotice) showNotice(startupNotice, 'error');
}

void start();
