/**
 * The grammar of a user-supplied PromQL label-matcher list (config `workspaces.selector`,
 * `--selector`), pure so config validation and the Prometheus provider accept exactly the same
 * lists (reference/prometheus.md §3).
 */

/** The four PromQL label-matching operators. */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher, with the value unescaped (as the user means it). */
export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** A matcher list that does not parse; the message names the position. */
export class MatcherListError extends Error {
  readonly hint =
    'write matchers like job="node", env=~"prod|staging" (label, operator, quoted value, separated by commas)';
}

/**
 * Parses a user-supplied list of label matchers such as `job="node", env=~"prod|staging"`
 * (optionally wrapped in braces; single, double or backtick quotes as in PromQL) into its parts.
 * Anything else — a second selector, a function, a comment, an unterminated string — is refused
 * with a MatcherListError naming the position, so the result can be re-rendered safely.
 */
export function parseMatchers(raw: string): Matcher[] {
  const text = raw.trim();
  const matchers: Matcher[] = [];
  let pos = 0;
  const fail = (what: string): never => {
    const near = text.slice(pos, pos + 20);
    throw new MatcherListError(
      `label matchers ${JSON.stringify(raw)}: ${what} at character ${pos + 1}${near === '' ? '' : ` (near ${JSON.stringify(near)})`}`,
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
