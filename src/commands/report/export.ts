/** `carbonctl report export`: the CSRD / ESRS E1 export as CSV or JSON, streamed and written atomically. */
import type { Context } from '../../context.js';
import { pathPlaceholders } from '../../core/report.js';
import { formatOffsetIso } from '../../core/periods.js';
import { IncompleteDataError } from '../../errors.js';
import { writeFileAtomic, writeToStream } from '../../io/files.js';
import { formatPercent } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import { openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { REPORT_OPTIONS } from './index.js';
import {
  buildMetadata,
  csvChunks,
  jsonChunks,
  planReport,
  prepareReport,
  readProvenance,
  type PreparedReport,
} from './plan.js';

/** What `report export` prints after writing a file. */
export interface ReportExportData {
  path: string;
  format: 'csv' | 'json';
  rows: number;
  bytes: number;
  sha256: string;
  period: { from: string; to: string; label: string };
  coverage_percent: number;
  estimated_share: number;
}

/** The report range as text with the zone's offsets, and its `{period}` label. */
export function describePeriod(prepared: PreparedReport): {
  from: string;
  to: string;
  label: string;
} {
  const { range, zone } = prepared.plan;
  return {
    from: formatOffsetIso(range.from, zone),
    to: formatOffsetIso(range.to, zone),
    label: pathPlaceholders(range, zone).period,
  };
}

/**
 * Says when there is no data, and compares coverage with the threshold: below it is a warning,
 * or with --strict an IncompleteDataError (exit 5) before anything is written.
 */
export function checkCoverage(prepared: PreparedReport, context: Context): void {
  const { plan, quality } = prepared;
  const period = describePeriod(prepared);
  if (prepared.overall === null) {
    context.io.notice(
      `No data in the ledger for ${period.from} → ${period.to} (${plan.zone}) with this selection.`,
    );
  }
  if (quality.coverage_percent >= plan.minCoveragePercent) return;
  const message =
    `coverage of ${period.from} → ${period.to} is ${formatPercent(quality.coverage_percent)} ` +
    `(${quality.hours_with_data} of ${quality.hours_in_period} hours have data), below ${formatPercent(plan.minCoveragePercent)}`;
  const hint = `Fill the gaps with \`carbonctl track --from ${period.from.slice(0, 10)} --to ${period.to.slice(0, 10)}\`, or lower --min-coverage.`;
  if (plan.strict)
    throw new IncompleteDataError(`${message}; nothing was written (--strict)`, { hint });
  context.io.warn(`${message}. ${hint}`);
}

/** Command entry: plan, up-front queries and checks, then the rows streamed to the file or stdout. */
export async function execute(
  invocation: Invocation,
  context: Context,
): Promise<CommandResult | undefined> {
  const settings = await readerSettings(context, invocation, REPORT_OPTIONS);
  const plan = planReport(invocation.opts, settings, context.now(), invocation.output === 'json');
  const ledger = openReadLedger(context, settings);
  const prepared = prepareReport(ledger, plan);
  checkCoverage(prepared, context);
  const chunks =
    plan.format === 'csv'
      ? csvChunks(ledger, prepared)
      : jsonChunks(
          ledger,
          prepared,
          buildMetadata(prepared, readProvenance(ledger, prepared), {
            version: context.version,
            generatedAt: context.now(),
          }),
        );
  if (plan.out === null) {
    // `| head -1` closes the pipe early: stop quietly (exit 0), as every Unix filter does.
    await writeToStream(context.io.stdout, chunks);
    return undefined;
  }
  const written = await writeFileAtomic(plan.out, chunks, {
    force: plan.force,
    createDirectories: true,
    onInterrupt: (handler) => context.io.onInterrupt(handler),
  });
  const data: ReportExportData = {
    path: written.path,
    format: plan.format,
    rows: prepared.rowCount,
    bytes: written.bytes,
    sha256: written.sha256,
    period: describePeriod(prepared),
    coverage_percent: prepared.quality.coverage_percent,
    estimated_share: prepared.quality.estimated_share,
  };
  return {
    data,
    human: () => [
      {
        text:
          `${data.path}\n` +
          `  ${data.rows} rows, ${data.format}, ${data.bytes} bytes, sha256 ${data.sha256}\n` +
          `  ${data.period.from} → ${data.period.to} (${plan.zone}), coverage ${formatPercent(data.coverage_percent)}, ` +
          `estimated share ${formatPercent(data.estimated_share * 100)}\n`,
      },
    ],
  };
}
