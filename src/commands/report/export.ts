/** `carbonctl report export`: the CSRD / ESRS E1 export as CSV or JSON, streamed and written atomically. */
import type { Context } from '../../context.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileNamePart, pathPlaceholders } from '../../core/report.js';
import { formatOffsetIso } from '../../core/periods.js';
import { IncompleteDataError, UsageError } from '../../errors.js';
import { writeFileAtomic, writeToStream } from '../../io/files.js';
import { formatPercent } from '../../output/format.js';
import { renderHtmlReport } from '../../output/html-report.js';
import type { CommandResult } from '../../output/render.js';
import type { Ledger } from '../../store/types.js';
import { openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { buildHtmlModel } from './html.js';
import { EXPORT_OPTIONS } from './index.js';
import {
  buildMetadata,
  csvChunks,
  jsonChunks,
  planReport,
  prepareReport,
  readProvenance,
  type PreparedReport,
  type SplitBy,
} from './plan.js';

/** What `report export` prints after writing a file. */
export interface ReportExportData {
  path: string;
  format: 'csv' | 'json' | 'html';
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

/** The file's content in the plan's format, as chunks (CSV and JSON stream; HTML is one page). */
export function exportChunks(
  ledger: Ledger,
  prepared: PreparedReport,
  context: Context,
): Iterable<string> {
  if (prepared.plan.format === 'csv') return csvChunks(ledger, prepared);
  const provenance = readProvenance(ledger, prepared);
  const metadata = buildMetadata(prepared, provenance, {
    version: context.version,
    generatedAt: context.now(),
  });
  if (prepared.plan.format === 'json') return jsonChunks(ledger, prepared, metadata);
  return [renderHtmlReport(buildHtmlModel(ledger, prepared, metadata, provenance))];
}

/** Command entry: plan, up-front queries and checks, then the rows streamed to the file or stdout. */
export async function execute(
  invocation: Invocation,
  context: Context,
): Promise<CommandResult | undefined> {
  const settings = await readerSettings(context, invocation, EXPORT_OPTIONS);
  const plan = planReport(invocation.opts, settings, context.now(), invocation.output === 'json');
  const ledger = openReadLedger(context, settings);
  const prepared = prepareReport(ledger, plan);
  checkCoverage(prepared, context);
  if (plan.splitBy !== null) return splitExport(ledger, prepared, plan.splitBy, context);
  const chunks = exportChunks(ledger, prepared, context);
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

/** What `report export --split-by` prints: one entry per file written. */
export interface ReportSplitData {
  split_by: SplitBy;
  format: 'csv' | 'json' | 'html';
  period: { from: string; to: string; label: string };
  files: Array<{
    group: string;
    path: string;
    rows: number;
    bytes: number;
    sha256: string;
    /** --split-by owner with a people file: the owner's display name and address (for mailing). */
    name?: string | null;
    email?: string | null;
  }>;
  /** Rows without the label are in no file; null when there are none. */
  unlabelled: { energy_kwh: number; total_kgco2e: number } | null;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * `--split-by`: one file per value of the label with data in the range, each the export of
 * that value alone (same format and flags), written atomically. Every target is checked
 * before the first is written, so a refused overwrite leaves no half-written set.
 */
async function splitExport(
  ledger: Ledger,
  whole: PreparedReport,
  splitBy: SplitBy,
  context: Context,
): Promise<CommandResult> {
  const { plan } = whole;
  const template = plan.out ?? '';
  const values = ledger.aggregate({
    filter: { ...plan.filter, from: plan.range.from, to: plan.range.to },
    groupBy: splitBy,
  });
  const unlabelledRow = values.find((row) => row.group === null) ?? null;
  const targets = values
    .filter((row): row is typeof row & { group: string } => row.group !== null)
    .map((row) => ({
      group: row.group,
      path: resolve(template.split('{group}').join(fileNamePart(row.group, shortHash))),
    }));
  const seen = new Map<string, string>();
  for (const target of targets) {
    const other = seen.get(target.path);
    if (other !== undefined) {
      throw new UsageError(
        `--split-by ${splitBy}: ${JSON.stringify(other)} and ${JSON.stringify(target.group)} would both be written to ${target.path}`,
        { hint: 'Put {group} in the file name part of --out that differs per group.' },
      );
    }
    seen.set(target.path, target.group);
  }
  if (!plan.force) {
    const existing = targets.filter((target) => existsSync(target.path));
    if (existing.length > 0) {
      throw new UsageError(
        `${existing.length} of the ${targets.length} files already exist (${existing
          .slice(0, 3)
          .map((target) => target.path)
          .join(', ')}${existing.length > 3 ? ', …' : ''}); nothing was written`,
        { hint: 'Pass --force to replace them, or choose another --out.' },
      );
    }
  }
  if (unlabelledRow !== null) {
    context.io.warn(
      `${((unlabelledRow.scope2LocationGrams + unlabelledRow.scope3Grams) / 1000).toPrecision(3)} kgCO2e ` +
        `(${unlabelledRow.energyKwh.toPrecision(3)} kWh) of this selection has no ${splitBy} label and is in none of the files; ` +
        `export without --split-by to include it.`,
    );
  }
  const files: ReportSplitData['files'] = [];
  const people =
    splitBy === 'owner' && plan.settings.people !== null
      ? (await import('../../config/people.js')).readPeople(plan.settings.people)
      : null;
  for (const target of targets) {
    const prepared = prepareReport(ledger, {
      ...plan,
      filter: { ...plan.filter, [splitBy]: target.group },
      out: target.path,
    });
    const written = await writeFileAtomic(target.path, exportChunks(ledger, prepared, context), {
      force: plan.force,
      createDirectories: true,
    });
    files.push({
      group: target.group,
      path: written.path,
      rows: prepared.rowCount,
      bytes: written.bytes,
      sha256: written.sha256,
      ...(people === null
        ? {}
        : {
            name: people.get(target.group)?.name ?? null,
            email: people.get(target.group)?.email ?? null,
          }),
    });
  }
  const data: ReportSplitData = {
    split_by: splitBy,
    format: plan.format,
    period: describePeriod(whole),
    files,
    unlabelled:
      unlabelledRow === null
        ? null
        : {
            energy_kwh: unlabelledRow.energyKwh,
            total_kgco2e: (unlabelledRow.scope2LocationGrams + unlabelledRow.scope3Grams) / 1000,
          },
  };
  return {
    data,
    human: () => [
      {
        text:
          `${files.length} ${plan.format} files, one per ${splitBy}, ${data.period.from} → ${data.period.to} (${plan.zone}):\n` +
          files
            .map(
              (file) =>
                `  ${file.path}  ${file.rows} rows, ${file.bytes} bytes, sha256 ${file.sha256}`,
            )
            .join('\n') +
          '\n',
      },
    ],
  };
}
