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

/** The four PromQL label-matching operators. */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher, with the value unescaped (as the user means it). */
export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

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
 * Parses a user-supplied list of label matchers such as `job="node", env=~"prod|staging"`
 * (optionally wrapped in braces; single, double or backtick quotes as in PromQL) into its parts.
 * Anything else — a second selector, a function, a comment, an unterminated string — is refused
 * with a UsageError naming the position, so the result can be re-rendered safely.
 */
export function parseMatcherList(raw: string): Matcher[] {
  const text = raw.trim();
  const matchers: Matcher[] = [];
  let pos = 0;
  const fail = (what: string): never => {
    const near = text.slice(pos, pos + 20);
    throw new UsageError(
      `label matchers ${JSON.stringify(raw)}: ${what} at character ${pos + 1}${near === '' ? '' : ` (near ${JSON.stringify(near)})`}`,
      {
        hint: 'write matchers like job="node", env=~"prod|staging" (label, operator, quoted value, separated by commas)',
      },
    );
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };

  let braced = false;
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) fail('missing closing }');
    braced = true;
    pos = 1;
  }
  const end = braced ? text.length - 1 : text.length;

  skipSpace();
  while (pos < end) {
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(pos, end));
    if (nameMatch === null) fail('expected a label name');
    const name = (nameMatch as RegExpExecArray)[0];
    pos += name.length;
    skipSpace();
    const opMatch = /^(=~|!~|!=|=)/.exec(text.slice(pos, end));
    if (opMatch === null) fail(`expected =, !=, =~ or !~ after ${name}`);
    const op = (opMatch as RegExpExecArray)[0] as MatchOp;
    pos += op.length;
    skipSpace();
    const value = readQuoted(text, pos, end, fail);
    pos = value.next;
    matchers.push({ name, op, value: value.value });
    skipSpace();
    if (pos >= end) break;
    if (text[pos] !== ',') fail('expected , between matchers');
    pos++;
    skipSpace();
  }
  if (braced && text.slice(end + 1).trim() !== '') fail('unexpected text after }');
  return matchers;
}

/** Reads a PromQL string literal starting at `start`; returns its unescaped value. */
function readQuoted(
  text: string,
  start: number,
  end: number,
  fail: (what: string) => never,
): { value: string; next: number } {
  const quote = text[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') return fail('expected a quoted value');
  if (quote === '`') {
    const close = text.indexOf('`', start + 1);
    if (close < 0 || close >= end) return fail('unterminated `-quoted value');
    return { value: text.slice(start + 1, close), next: close + 1 };
  }
  let value = '';
  let pos = start + 1;
  while (pos < end) {
    const char = text[pos] as string;
    if (char === quote) return { value, next: pos + 1 };
    if (char === '\n') return fail('newline inside a quoted value');
    if (char !== '\\') {
      value += char;
      pos++;
      continue;
    }
    const escape = text[pos + 1];
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
    };
    if (escape !== undefined && simple[escape] !== undefined) {
      value += simple[escape];
      pos += 2;
    } else if (escape === quote) {
      value += quote;
      pos += 2;
    } else if (escape === 'x' || escape === 'u' || escape === 'U') {
      const digits = escape === 'x' ? 2 : escape === 'u' ? 4 : 8;
      const hex = text.slice(pos + 2, pos + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) return fail(`bad \\${escape} escape`);
      const codePoint = Number.parseInt(hex, 16);
      if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff))
        return fail('escape is not a valid character');
      value += String.fromCodePoint(codePoint);
      pos += 2 + digits;
    } else if (escape !== undefined && /[0-7]/.test(escape)) {
      const octal = text.slice(pos + 1, pos + 4);
      if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255)
        return fail('bad octal escape');
      value += String.fromCharCode(Number.parseInt(octal, 8));
      pos += 4;
    } else {
      return fail('unknown escape sequence');
    }
  }
  return fail('unterminated quoted value');
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
