/**
 * EventBridge event-pattern matching (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html)
 * for the filters rules use: exact values (a list matches any), `prefix`, `suffix`,
 * `anything-but` (value, list or `{prefix}`), `exists`, `numeric` ranges, `equals-ignore-case`,
 * `wildcard` and `$or`, nested to any depth. Arrays in the event match when any element does.
 */
type Pattern = Record<string, unknown>;

function matchesNumeric(value: unknown, conditions: unknown[]): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const operator = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      operator === '='
        ? value === bound
        : operator === '<'
          ? value < bound
          : operator === '<='
            ? value <= bound
            : operator === '>'
              ? value > bound
              : operator === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function wildcardToRegExp(wildcard: string): RegExp {
  return new RegExp(
    `^${wildcard
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** Whether one event value satisfies one matcher of a pattern's value list. */
function matchesOne(value: unknown, present: boolean, matcher: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return present && value === matcher;
  const [operator, argument] = Object.entries(matcher as Record<string, unknown>)[0] ?? [];
  switch (operator) {
    case 'exists':
      return argument === present;
    case 'prefix':
      return typeof value === 'string' && typeof argument === 'string' && value.startsWith(argument);
    case 'suffix':
      return typeof value === 'string' && typeof argument === 'string' && value.endsWith(argument);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof argument === 'string' && value.toLowerCase() === argument.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof argument === 'string' && wildcardToRegExp(argument).test(value);
    case 'numeric':
      return Array.isArray(argument) && matchesNumeric(value, argument);
    case 'anything-but': {
      if (!present) return false;
      if (Array.isArray(argument)) return !argument.includes(value);
      if (argument !== null && typeof argument === 'object') return !matchesOne(value, present, argument);
      return value !== argument;
    }
    default:
      return false;
  }
}

function matchesValue(value: unknown, present: boolean, matchers: unknown[]): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) return matchers.some((matcher) => matchesOne(undefined, false, matcher));
    return value.some((item) => matchers.some((matcher) => matchesOne(item, true, matcher)));
  }
  return matchers.some((matcher) => matchesOne(value, present, matcher));
}

/**
 * Whether `event` matches `pattern`.
 *
 * @example
 * ```ts
 * matchesEventPattern({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['intake'] } } }, event);
 * ```
 */
export function matchesEventPattern(pattern: Pattern, event: unknown): boolean {
  const object = event !== null && typeof event === 'object' ? (event as Record<string, unknown>) : {};
  for (const [field, rule] of Object.entries(pattern)) {
    if (field === '$or') {
      if (!Array.isArray(rule) || !rule.some((alternative) => matchesEventPattern(alternative as Pattern, event))) {
        return false;
      }
      continue;
    }
    const present = Object.prototype.hasOwnProperty.call(object, field);
    const value = object[field];
    if (Array.isArray(rule)) {
      if (!matchesValue(value, present, rule)) return false;
    } else if (rule !== null && typeof rule === 'object') {
      if (!present || value === null || typeof value !== 'object') return false;
      if (!matchesEventPattern(rule as Pattern, value)) return false;
    } else {
      return false;
    }
  }
  return true;
}
