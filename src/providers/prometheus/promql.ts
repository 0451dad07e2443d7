/**
 * Building PromQL from user input without injection (SPEC §12 Security).
 *
 * Rules from reference/prometheus.md §3 (PromQL lexer, prometheus/prometheus
 * `promql/parser/lex.go`): label names are validated, never escaped; label values are always
 * emitted as double-quoted strings with `\` `"` and control characters escaped, so a value such
 * as `x"} or vector(1) #` stays one string and selects nothing. User-supplied raw matcher lists
 * (config `workspaces.selector`, `--selector`) are parsed and re-rendered from their parts, so
 * only matchers — never arbitrary PromQL — reach a query.
 */
import { ConfigError, UsageError } from '../../errors.js';
import {
  MatcherListError,
  parseMatchers,
  type Matcher,
  type MatchOp,
} from '../../core/matchers.js';

export type { Matcher, MatchOp };

/** A matcher rendered by {@link matcher} or {@link renderMatcher}: safe to put between braces. */
export type MatcherText = string & { readonly __brand: 'MatcherText' };

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const MATCH_OPS: readonly MatchOp[] = ['=', '!=', '=~', '!~'];

/** True for a legacy (unquoted) Prometheus label name. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** True for a legacy (unquoted) Prometheus metric name. */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/**
 * Escapes a label value for use inside a double-quoted PromQL string (without the quotes).
 * JSON string escaping is a subset of what the PromQL lexer accepts (`\" \\ \n \r \t \b \f \uXXXX`).
 */
export function escapeLabelValue(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** A label value as a complete double-quoted PromQL string literal. */
export function quoteLabelValue(value: string): string {
  return `"${escapeLabelValue(value)}"`;
}

/** Escapes RE2 metacharacters so a literal can be used inside a `=~` / `!~` pattern. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A regex matching exactly one of the given literals (for `=~`), e.g. `idle|iowait`. */
export function anyOfRegex(literals: readonly string[]): string {
  return literals.map(escapeRegex).join('|');
}

function assertLabelName(name: string): void {
  if (!LABEL_NAME.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a valid Prometheus label name (expected letters, digits and _ , not starting with a digit)`,
    );
  }
}

/** Renders one matcher; the name is validated and the value escaped. */
export function matcher(name: string, op: MatchOp, value: string): MatcherText {
  assertLabelName(name);
  if (!MATCH_OPS.includes(op))
    throw new UsageError(`${JSON.stringify(op)} is not a PromQL matcher operator`);
  return `${name}${op}${quoteLabelValue(value)}` as MatcherText;
}

/** Renders a parsed {@link Matcher}. */
export function renderMatcher(parsed: Matcher): MatcherText {
  return matcher(parsed.name, parsed.op, parsed.value);
}

/** `metric{m1,m2,…}`; the metric name is validated, the matchers must come from this module. */
export function selector(metric: string, matchers: readonly MatcherText[]): string {
  if (!METRIC_NAME.test(metric)) {
    throw new UsageError(`${JSON.stringify(metric)} is not a valid Prometheus metric name`);
  }
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(',')}}`;
}

/**
 * Parses a user-supplied list of label matchers such as `job="node", env=~"prod|staging"` into
 * its parts (the parser lives in core, shared with config validation); a bad list is a
 * UsageError naming the position.
 */
export function parseMatcherList(raw: string): Matcher[] {
  try {
    return parseMatchers(raw);
  } catch (error) {
    if (error instanceof MatcherListError)
      throw new UsageError(error.message, { hint: error.hint });
    throw error;
  }
}

/** Parses and re-renders a raw matcher list; empty or blank input gives no matchers. */
export function safeMatchers(raw: string | null | undefined): MatcherText[] {
  if (raw === null || raw === undefined || raw.trim() === '') return [];
  return parseMatcherList(raw).map(renderMatcher);
}

/**
 * {@link safeMatchers} for matchers from the configuration file: a bad list is a ConfigError
 * naming the setting (`where`), since the user fixes it there, not on the command line.
 */
export function configMatchers(raw: string | null | undefined, where: string): MatcherText[] {
  try {
    return safeMatchers(raw);
  } catch (error) {
    if (error instanceof UsageError)
      throw new ConfigError(`${where}: ${error.message}`, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
      });
    throw error;
  }
}

/** A PromQL range duration in milliseconds (`14999ms`), valid on Prometheus 2.x/3.x and VictoriaMetrics. */
export function rangeMs(milliseconds: number): string {
  if (!Number.isInteger(milliseconds) || milliseconds <= 0) {
    throw new RangeError(
      `range must be a positive whole number of milliseconds, got ${milliseconds}`,
    );
  }
  return `${milliseconds}ms`;
}
