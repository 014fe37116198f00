// Pure formatting helpers of the console: SLA countdowns, durations, dates, reasons.
import { REASONS } from './reasons.js';
import { t } from './i18n.js';

/** Below this much time left, an SLA is shown as due soon. */
export const DUE_SOON_MS = 24 * 60 * 60 * 1000;

/**
 * Where a review stands against its SLA at `now`.
 *
 * @example
 * slaState('2026-01-01T12:00:00Z', Date.parse('2026-01-01T13:00:00Z')); // { state: 'overdue', ms: 3600000 }
 */
export function slaState(/** @type {string | undefined} */ dueAt, now = Date.now()) {
  const due = dueAt ? Date.parse(dueAt) : NaN;
  if (Number.isNaN(due)) return /** @type {const} */ ({ state: 'none', ms: 0 });
  const left = due - now;
  if (left < 0) return /** @type {const} */ ({ state: 'overdue', ms: -left });
  return left < DUE_SOON_MS
    ? /** @type {const} */ ({ state: 'soon', ms: left })
    : /** @type {const} */ ({ state: 'ok', ms: left });
}

/**
 * A duration in the two largest units, e.g. `2 d 3 h`, `3 h 12 min`, `45 s` (`2 天 3 小时` in Chinese).
 *
 * @example
 * formatDuration(97_200_000, 'en'); // '1 d 3 h'
 */
export function formatDuration(/** @type {number} */ ms, /** @type {import('./i18n.js').Language} */ language) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const parts = [
    ['duration.d', Math.floor(total / 86_400)],
    ['duration.h', Math.floor((total % 86_400) / 3_600)],
    ['duration.min', Math.floor((total % 3_600) / 60)],
    ['duration.s', total % 60],
  ];
  const first = parts.findIndex(([, n]) => Number(n) > 0);
  if (first === -1) return t(language, 'duration.s', { n: 0 });
  return parts
    .slice(first, first + 2)
    .filter(([, n]) => Number(n) > 0)
    .map(([key, n]) => t(language, String(key), { n: Number(n) }))
    .join(' ');
}

/** The SLA text of a review: "due in 2 d 3 h", "overdue by 4 h", or "no SLA". */
export function slaText(
  /** @type {string | undefined} */ dueAt,
  /** @type {import('./i18n.js').Language} */ language,
  now = Date.now(),
) {
  const sla = slaState(dueAt, now);
  if (sla.state === 'none') return t(language, 'sla.none');
  const time = formatDuration(sla.ms, language);
  return t(language, sla.state === 'overdue' ? 'sla.overdue' : 'sla.dueIn', { time });
}

/** A date-time in the console's language, in the browser's time zone; '' for nothing. */
export function formatTime(/** @type {string | undefined} */ iso, /** @type {string} */ language) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A ratio (0..1) as a percentage in the console's language. */
export function formatPercent(/** @type {number | undefined | null} */ ratio, /** @type {string} */ language) {
  if (ratio === undefined || ratio === null || Number.isNaN(ratio)) return '–';
  return new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/**
 * A reason code's message and tip in the reviewer's language (the generated catalog copy), the
 * API's own text for codes the catalog does not know.
 *
 * @example
 * describeReason('PHOTO_TOO_BLURRY', 'zh-CN'); // { code, message: '照片太模糊', tip: '…' }
 */
export function describeReason(/** @type {string} */ code, /** @type {string} */ language) {
  const known = REASONS[language]?.[code] ?? REASONS.en?.[code];
  return known ?? { code, message: code, tip: '' };
}

/** Reason codes a reviewer may give for a rejection: identity, quality and flow codes (as the API). */
export const REVIEW_REASON_CODES = [
  'FACE_NOT_MATCH',
  'LIVENESS_CHECK_FAILED',
  'DOCUMENT_EXPIRED',
  'INFORMATION_MISMATCH',
  'DUPLICATE_IDENTITY',
  'UNSUPPORTED_DOCUMENT_TYPE',
  'UNDERAGE',
  'PHOTO_TOO_BLURRY',
  'REFLECTION_DETECTED',
  'DOCUMENT_NOT_FULLY_VISIBLE',
  'BACKGROUND_TOO_DARK',
  'DOCUMENT_TILTED',
  'NO_FACE_DETECTED',
  'MULTIPLE_FACES',
  'FACE_TOO_SMALL',
  'FACE_OBSTRUCTED',
  'IMAGE_EDITED',
  'SCREENSHOT_DETECTED',
  'IMAGE_ALREADY_REJECTED',
  'RATE_LIMITED',
  'COOLDOWN_ACTIVE',
  'MANUAL_REVIEW_REQUIRED',
];

/** Splits a list of ids typed one per line or comma separated; duplicates and blanks dropped. */
export function parseIdList(/** @type {string} */ text) {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  ];
}
