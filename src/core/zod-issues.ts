/**
 * Human messages for zod issues. carbonctl uses zod/mini (no locale bundled: it keeps start-up
 * fast), whose built-in messages are all "Invalid input"; this says what was expected from the
 * issue's own fields, and lets our custom messages through.
 */
import type * as z from 'zod/mini';

/** One issue as a short phrase: `must be a number`, `unknown key "x"`, or the custom message. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must have at least ${String(issue.minimum)} ${issue.origin === 'array' ? 'entries' : 'characters'}`
        : `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_union':
      return 'has the wrong type';
    default:
      return 'is not valid';
  }
}

/** The dotted path of an issue: `clusters[1].prometheus.url`. */
export function issuePath(issue: z.core.$ZodIssue): string {
  let path = '';
  for (const key of issue.path) {
    if (typeof key === 'symbol') continue;
    path += typeof key === 'number' ? `[${key}]` : path === '' ? key : `.${key}`;
  }
  return path;
}
