import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import {
  anyOfRegex,
  escapeLabelValue,
  escapeRegex,
  matcher,
  parseMatcherList,
  quoteLabelValue,
  rangeMs,
  safeMatchers,
  selector,
} from '../../../src/providers/prometheus/promql.js';

const INJECTION = 'x"} or vector(1) #';

describe('escapeLabelValue', () => {
  it('keeps an injection attempt inside one string literal', () => {
    expect(escapeLabelValue(INJECTION)).toBe('x\\"} or vector(1) #');
    expect(quoteLabelValue(INJECTION)).toBe('"x\\"} or vector(1) #"');
  });

  it('escapes backslashes, newlines and other control characters', () => {
    expect(escapeLabelValue('a\\b')).toBe('a\\\\b');
    expect(escapeLabelValue('line1\nline2\r\t')).toBe('line1\\nline2\\r\\t');
    expect(escapeLabelValue('\u0001')).toBe('\\u0001');
    expect(escapeLabelValue("it's ünïcode")).toBe("it's ünïcode");
  });
});

describe('matcher and selector', () => {
  it('renders a matcher whose value cannot close the selector', () => {
    expect(matcher('namespace', '=', INJECTION)).toBe('namespace="x\\"} or vector(1) #"');
    expect(selector('kube_pod_owner', [matcher('namespace', '=', INJECTION)])).toBe(
      'kube_pod_owner{namespace="x\\"} or vector(1) #"}',
    );
  });

  it('supports all four operators and a bare metric', () => {
    expect(selector('up', [])).toBe('up');
    expect(
      selector('node_cpu_seconds_total', [
        matcher('a', '=', '1'),
        matcher('b', '!=', '2'),
        matcher('c', '=~', 'x|y'),
        matcher('d', '!~', ''),
      ]),
    ).toBe('node_cpu_seconds_total{a="1",b!="2",c=~"x|y",d!~""}');
  });

  it('refuses label and metric names that are not plain identifiers', () => {
    for (const name of ['1abc', 'na me', 'a"b', 'a}', '', 'ns="x"} or vector(1) #']) {
      expect(() => matcher(name, '=', 'v')).toThrow(UsageError);
    }
    expect(() => selector('up{job="x"}', [])).toThrow(UsageError);
    expect(() => selector('sum(up)', [])).toThrow(UsageError);
    // @ts-expect-error: an operator outside the four is refused at run time too
    expect(() => matcher('a', '==', 'v')).toThrow(UsageError);
  });
});

describe('regex helpers', () => {
  it('escapes RE2 metacharacters so literals match only themselves', () => {
    expect(escapeRegex('a.b|c*(d)')).toBe('a\\.b\\|c\\*\\(d\\)');
    expect(anyOfRegex(['idle', 'io.wait'])).toBe('idle|io\\.wait');
    // Regex escaping then string escaping: a.b becomes "a\\.b" in PromQL (reference/prometheus.md §3).
    expect(matcher('mode', '=~', anyOfRegex(['a.b']))).toBe('mode=~"a\\\\.b"');
  });
});

describe('parseMatcherList', () => {
  it('parses comma-separated matchers with every quote style, optionally in braces', () => {
    expect(parseMatcherList(`job="node", env=~'prod|staging' ,team!=\`a"b\``)).toEqual([
      { name: 'job', op: '=', value: 'node' },
      { name: 'env', op: '=~', value: 'prod|staging' },
      { name: 'team', op: '!=', value: 'a"b' },
    ]);
    expect(parseMatcherList('{ job!~"x.*" }')).toEqual([{ name: 'job', op: '!~', value: 'x.*' }]);
    expect(parseMatcherList('   ')).toEqual([]);
    expect(parseMatcherList('job="a",')).toEqual([{ name: 'job', op: '=', value: 'a' }]);
  });

  it('decodes PromQL escapes', () => {
    expect(parseMatcherList('a="q\\"uote\\\\back\\nnl\\x41\\u00e9\\101"')).toEqual([
      { name: 'a', op: '=', value: 'q"uote\\back\nnlAéA' },
    ]);
    expect(parseMatcherList("a='it\\'s'")).toEqual([{ name: 'a', op: '=', value: "it's" }]);
  });

  it('refuses anything that is not a list of matchers', () => {
    const invalid = [
      'job="node"} or vector(1) #',
      'job="a"} or up{a="b"',
      'job=node',
      'job="node" env="x"',
      'job="unterminated',
      'job="bad \\q escape"',
      'sum(up)',
      'job="a\nb"',
      '{job="a"',
      '="x"',
      'job=="x"',
      'a="\\ud800"',
    ];
    for (const raw of invalid) expect(() => parseMatcherList(raw), raw).toThrow(UsageError);
  });

  it('names the position of the problem', () => {
    expect(() => parseMatcherList('job="node" env="x"')).toThrow(
      /expected , between matchers at character 12/,
    );
  });
});

describe('safeMatchers', () => {
  it('re-renders user matchers canonically, so a value cannot escape its string', () => {
    expect(safeMatchers(`job='node', note="x\\"} or vector(1) #"`)).toEqual([
      'job="node"',
      'note="x\\"} or vector(1) #"',
    ]);
    expect(safeMatchers(null)).toEqual([]);
    expect(safeMatchers('')).toEqual([]);
  });
});

describe('rangeMs', () => {
  it('formats a range one millisecond short of the step', () => {
    expect(rangeMs(15 * 1000 - 1)).toBe('14999ms');
    expect(() => rangeMs(0)).toThrow(RangeError);
    expect(() => rangeMs(1.5)).toThrow(RangeError);
  });
});
