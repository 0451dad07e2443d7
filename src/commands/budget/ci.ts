/**
 * `budget check`'s reports to CI: GitHub Actions annotations (on stderr: the runner reads
 * workflow commands on both streams, and stdout stays the data) and step summary, a JUnit XML
 * file, and baseline files for later regression checks.
 */
import { appendFile } from 'node:fs/promises';
import type { Context } from '../../context.js';
import type { CarbonctlError } from '../../errors.js';
import { writeFileAtomic } from '../../io/files.js';
import { formatPercent } from '../../output/format.js';
import {
  annotation,
  escapeMarkdown,
  stepSummaryMarkdown,
  type AnnotationLevel,
} from '../../output/github.js';
import { renderJUnit, type JUnitTestCase } from '../../output/junit.js';
import type { CheckOptions } from './check.js';
import { baselineLine, contextLines, formatMetric, resultTable, type CheckData } from './result.js';

/** Identifies baseline files written by `--write-baseline`. */
export const BASELINE_FORMAT = 'carbonctl-budget-baseline/1';

const JUNIT_CLASS = 'carbonctl.budget';

function junitCases(data: CheckData): JUnitTestCase[] {
  const currency = data.measured.currency;
  if (data.missing_data) {
    const message = 'no data for the selection in the window';
    return [
      {
        name: 'data for the selection',
        classname: JUNIT_CLASS,
        outcome:
          data.status === 'fail'
            ? { kind: 'failure', type: 'MissingData', message }
            : { kind: 'skipped', message },
      },
    ];
  }
  const cases: JUnitTestCase[] = data.checks.map((check) => {
    const name = `${check.metric} <= ${formatMetric(check.metric, check.limit, currency)}`;
    const measured = formatMetric(check.metric, check.measured, currency);
    const used = check.percent_used === null ? '∞' : formatPercent(check.percent_used);
    return {
      name,
      classname: JUNIT_CLASS,
      outcome:
        check.status === 'pass'
          ? { kind: 'passed' }
          : {
              kind: 'failure',
              type: 'BudgetExceeded',
              message: `${measured} is over the limit of ${formatMetric(check.metric, check.limit, currency)} (${used} used)`,
              details: contextLines(data).join('\n'),
            },
      systemOut: `measured ${measured} (${check.measured}), limit ${check.limit}, ${used} used`,
    };
  });
  const b = data.baseline;
  if (b !== null) {
    const line = baselineLine(data) ?? '';
    cases.push({
      name: `${b.metric} increase over baseline <= ${formatPercent(b.max_increase_percent)}`,
      classname: JUNIT_CLASS,
      outcome:
        b.status === 'pass'
          ? { kind: 'passed' }
          : { kind: 'failure', type: 'BaselineRegression', message: line },
      systemOut: line,
    });
  }
  return cases;
}

function junitDocument(
  data: CheckData | null,
  error: CarbonctlError | null,
  now: Date,
  version: string,
  seconds: number,
): string {
  const cases: JUnitTestCase[] =
    error !== null
      ? [
          {
            name: 'measurement',
            classname: JUNIT_CLASS,
            outcome: {
              kind: 'error',
              type: error.name,
              message: error.message,
              ...(error.hint === undefined ? {} : { details: error.hint }),
            },
          },
        ]
      : junitCases(data as CheckData);
  const properties: Array<[string, string]> = [['carbonctl.version', version]];
  if (data?.window)
    properties.push(['window.from', data.window.from], ['window.to', data.window.to]);
  if (data?.budget) properties.push(['budget', data.budget]);
  if (data !== null) {
    properties.push(
      ['measured.co2e_g', String(data.measured.co2e_g)],
      ['measured.energy_kwh', String(data.measured.energy_kwh)],
      ['measured.cost', String(data.measured.cost)],
    );
  }
  return renderJUnit('carbonctl budget check', [
    {
      name: data?.budget ? `carbon budget ${data.budget}` : 'carbon budget',
      timestamp: now,
      timeSeconds: seconds,
      properties,
      cases,
      ...(data === null ? {} : { systemOut: contextLines(data).join('\n') }),
    },
  ]);
}

function githubAnnotations(
  data: CheckData | null,
  error: CarbonctlError | null,
): Array<[AnnotationLevel, string]> {
  const title = 'carbonctl budget check';
  if (error !== null) return [['error', `${title} could not measure: ${error.message}`]];
  const result = data as CheckData;
  const currency = result.measured.currency;
  const lines: Array<[AnnotationLevel, string]> = [];
  if (result.missing_data) {
    lines.push([
      result.status === 'fail' ? 'error' : 'warning',
      'no data for the selection in the window' +
        (result.status === 'fail'
          ? ''
          : ' (treated as within budget; --fail-on-missing-data fails instead)'),
    ]);
    return lines;
  }
  for (const check of result.checks) {
    const used = check.percent_used === null ? '∞' : formatPercent(check.percent_used);
    const text = `${check.metric}: ${formatMetric(check.metric, check.measured, currency)} of ${formatMetric(check.metric, check.limit, currency)} (${used} used)`;
    lines.push(
      check.status === 'fail'
        ? ['error', `over budget: ${text}`]
        : ['notice', `within budget: ${text}`],
    );
  }
  const baseline = baselineLine(result);
  if (result.baseline !== null && baseline !== null) {
    lines.push([result.baseline.status === 'fail' ? 'error' : 'notice', baseline]);
  }
  return lines;
}

function summaryMarkdown(data: CheckData | null, error: CarbonctlError | null): string {
  if (error !== null || data === null) {
    return `### Carbon budget check: ❌ error\n\n${escapeMarkdown(error?.message ?? 'unknown error')}\n\n`;
  }
  const mark = data.status === 'pass' ? '✅ pass' : '❌ fail';
  return stepSummaryMarkdown({
    heading: `Carbon budget check: ${mark}${data.budget === null ? '' : ` (${escapeMarkdown(data.budget)})`}`,
    table: resultTable(data),
    notes: contextLines(data).map(escapeMarkdown),
  });
}

/** Annotations (stderr), step summary and JUnit file, for a result or a failure to measure. */
export async function reportToCi(
  context: Context,
  options: Pick<CheckOptions, 'junit'>,
  data: CheckData | null,
  error: CarbonctlError | null,
  startedAt: Date,
): Promise<void> {
  const now = context.now();
  const seconds = Math.max(0, (now.getTime() - startedAt.getTime()) / 1000);
  if (options.junit !== null) {
    await writeFileAtomic(
      options.junit,
      junitDocument(data, error, now, context.version, seconds),
      {
        force: true,
        createDirectories: true,
      },
    );
  }
  if (context.env.GITHUB_ACTIONS !== 'true') return;
  for (const [level, message] of githubAnnotations(data, error)) {
    if (level !== 'error' && context.io.quiet) continue;
    // Raw: a workflow command must start its line, so no timestamp prefix.
    context.io.stderr.write(annotation(level, message, { title: 'Carbon budget' }));
  }
  const summaryFile = context.env.GITHUB_STEP_SUMMARY;
  if (summaryFile !== undefined && summaryFile !== '') {
    try {
      await appendFile(summaryFile, summaryMarkdown(data, error), 'utf8');
    } catch (cause) {
      context.io.warn(
        `could not append to GITHUB_STEP_SUMMARY ${summaryFile}: ${(cause as Error).message}`,
      );
    }
  }
}

/** Writes the measurement as a baseline file (atomically; replacing is the point of it). */
export async function writeBaselineFile(
  context: Context,
  file: string,
  data: CheckData,
): Promise<void> {
  const document = {
    format: BASELINE_FORMAT,
    tool: 'carbonctl',
    version: context.version,
    created_at: context.now().toISOString(),
    mode: data.mode,
    budget: data.budget,
    window: data.window,
    selection:
      data.selection === null
        ? null
        : {
            namespace: data.selection.namespace,
            project: data.selection.project,
            owner: data.selection.owner,
            selector: data.selection.selector,
            clusters: data.selection.clusters.map((c) => c.name),
          },
    measured: {
      co2e_g: data.measured.co2e_g,
      energy_kwh: data.measured.energy_kwh,
      cost: data.measured.cost,
      currency: data.measured.currency,
    },
    intensity: data.intensity,
    estimation_reasons: data.estimation_reasons,
  };
  await writeFileAtomic(file, JSON.stringify(document, null, 2) + '\n', {
    force: true,
    createDirectories: true,
  });
  context.io.info(`Wrote baseline ${file}.`);
}
