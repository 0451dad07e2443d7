/**
 * JUnit XML for CI systems that show test reports (GitLab `artifacts:reports:junit`, Jenkins
 * `junit`, Azure Pipelines): plain data in, one well-formed XML 1.0 document out.
 *
 * The element and attribute names follow the de-facto schema those tools read (the Ant JUnit
 * task's format, as documented by GitLab "Unit test reports" and Jenkins' JUnit plugin):
 * `testsuites > testsuite > testcase` with `failure`, `error` or `skipped` children.
 */

/** How one test case ended. */
export type JUnitOutcome =
  | { kind: 'passed' }
  | { kind: 'failure'; message: string; type: string; details?: string }
  | { kind: 'error'; message: string; type: string; details?: string }
  | { kind: 'skipped'; message: string };

/** One test case: a check and its outcome. */
export interface JUnitTestCase {
  name: string;
  classname: string;
  timeSeconds?: number;
  outcome: JUnitOutcome;
  /** Text shown under the case (GitLab shows it in the test details). */
  systemOut?: string;
}

/** One suite of cases. */
export interface JUnitSuite {
  name: string;
  /** When the suite ran (written as ISO 8601 without milliseconds, as Ant does). */
  timestamp: Date;
  timeSeconds: number;
  /** Key/value provenance (window, selection, tool version). */
  properties?: ReadonlyArray<readonly [string, string]>;
  cases: JUnitTestCase[];
  systemOut?: string;
}

// Characters XML 1.0 does not allow at all (§2.2 Char): C0 controls other than tab, LF and CR,
// U+FFFE/U+FFFF and unpaired surrogates. They are dropped, not escaped: no escape makes them legal.
const INVALID_XML_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for XML character data. */
export function escapeXmlText(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * Escapes text for a double-quoted XML attribute. Tab, newline and CR become character
 * references, because a parser normalises literal ones in attributes to spaces.
 */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attributes(pairs: ReadonlyArray<readonly [string, string | number]>): string {
  return pairs.map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`).join('');
}

function seconds(value: number | undefined): string {
  return (value ?? 0).toFixed(3);
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function renderCase(testCase: JUnitTestCase, indent: string): string {
  const open = `${indent}<testcase${attributes([
    ['name', testCase.name],
    ['classname', testCase.classname],
    ['time', seconds(testCase.timeSeconds)],
  ])}`;
  const inner: string[] = [];
  const child = `${indent}  `;
  const outcome = testCase.outcome;
  switch (outcome.kind) {
    case 'passed':
      break;
    case 'failure':
    case 'error': {
      const attrs = attributes([
        ['message', outcome.message],
        ['type', outcome.type],
      ]);
      inner.push(
        outcome.details === undefined
          ? `${child}<${outcome.kind}${attrs}/>`
          : `${child}<${outcome.kind}${attrs}>${escapeXmlText(outcome.details)}</${outcome.kind}>`,
      );
      break;
    }
    case 'skipped':
      inner.push(`${child}<skipped${attributes([['message', outcome.message]])}/>`);
      break;
  }
  if (testCase.systemOut !== undefined) {
    inner.push(`${child}<system-out>${escapeXmlText(testCase.systemOut)}</system-out>`);
  }
  return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n${indent}</testcase>`;
}

function counts(cases: readonly JUnitTestCase[]): {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
} {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome.kind === 'failure').length,
    errors: cases.filter((c) => c.outcome.kind === 'error').length,
    skipped: cases.filter((c) => c.outcome.kind === 'skipped').length,
  };
}

/** Renders suites as one JUnit XML document (UTF-8, with the XML declaration). */
export function renderJUnit(name: string, suites: readonly JUnitSuite[]): string {
  const all = suites.flatMap((suite) => suite.cases);
  const total = counts(all);
  const time = suites.reduce((sum, suite) => sum + suite.timeSeconds, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes([
      ['name', name],
      ['tests', total.tests],
      ['failures', total.failures],
      ['errors', total.errors],
      ['skipped', total.skipped],
      ['time', seconds(time)],
    ])}>`,
  ];
  for (const suite of suites) {
    const own = counts(suite.cases);
    lines.push(
      `  <testsuite${attributes([
        ['name', suite.name],
        ['tests', own.tests],
        ['failures', own.failures],
        ['errors', own.errors],
        ['skipped', own.skipped],
        ['timestamp', isoSeconds(suite.timestamp)],
        ['time', seconds(suite.timeSeconds)],
      ])}>`,
    );
    if (suite.properties !== undefined && suite.properties.length > 0) {
      lines.push('    <properties>');
      for (const [key, value] of suite.properties) {
        lines.push(
          `      <property${attributes([
            ['name', key],
            ['value', value],
          ])}/>`,
        );
      }
      lines.push('    </properties>');
    }
    for (const testCase of suite.cases) lines.push(renderCase(testCase, '    '));
    if (suite.systemOut !== undefined) {
      lines.push(`    <system-out>${escapeXmlText(suite.systemOut)}</system-out>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
