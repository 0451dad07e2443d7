/**
 * `carbonctl export prometheus`: the ledger's month-to-date figures as gauges in the Prometheus
 * text format, for node_exporter's textfile collector, written atomically so the collector
 * never reads half a file. Gauge families come from collectors; recommendations and realized
 * savings (SPEC §8, §11) plug in as further collectors.
 */
import type { Context } from '../../context.js';
import { bucketOf, formatOffsetIso, type TimeRange } from '../../core/periods.js';
import { writeFileAtomic } from '../../io/files.js';
import {
  renderPrometheusText,
  type MetricFamily,
  type MetricSample,
} from '../../output/prometheus-text.js';
import type { CommandResult } from '../../output/render.js';
import type { GroupDimension, Ledger, LedgerFilter } from '../../store/types.js';
import { optionalString } from '../parse.js';
import { asUsage, ledgerFilterFrom, openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { EXPORT_PROMETHEUS_OPTIONS } from './index.js';

/** What a collector gets: the open ledger, the label filters, the month so far and the zone. */
export interface CollectorInput {
  ledger: Ledger;
  filter: LedgerFilter;
  monthToDate: TimeRange;
  zone: string;
}

/**
 * A source of gauge families. The extension point for the recommendation gauges (active
 * recommendations by type and priority) and realized savings: add a collector to
 * GAUGE_COLLECTORS once the ledger stores them.
 */
export type GaugeCollector = (input: CollectorInput) => MetricFamily[];

/** Month-to-date gCO2e (location-based Scope 2), kWh and cost per cluster × project and cluster × namespace. */
export const monthToDateUsageCollector: GaugeCollector = ({
  ledger,
  filter,
  monthToDate,
  zone,
}) => {
  const co2e: MetricSample[] = [];
  const energy: MetricSample[] = [];
  const cost: MetricSample[] = [];
  const rangeFilter: LedgerFilter = { ...filter, from: monthToDate.from, to: monthToDate.to };
  const clusters = ledger
    .aggregate({ filter: rangeFilter, groupBy: 'cluster' })
    .map((row) => row.group)
    .filter((name): name is string => name !== null);
  for (const cluster of clusters) {
    for (const dimension of ['project', 'namespace'] as const satisfies readonly GroupDimension[]) {
      for (const row of ledger.aggregate({
        filter: { ...rangeFilter, cluster },
        groupBy: dimension,
      })) {
        // Hosts have no namespace and pods no project: those rows belong to the other dimension.
        if (row.group === null) continue;
        const labels = { cluster, [dimension]: row.group };
        co2e.push({ labels, value: row.scope2LocationGrams });
        energy.push({ labels, value: row.energyKwh });
        if (row.currency !== null)
          cost.push({ labels: { ...labels, currency: row.currency }, value: row.cost });
      }
    }
  }
  const since = `since ${formatOffsetIso(monthToDate.from, zone)} (${zone})`;
  return [
    {
      name: 'carbonctl_month_to_date_co2e_grams',
      help: `Location-based Scope 2 emissions in gCO2e ${since}, per cluster and project or namespace, from the carbonctl ledger.`,
      type: 'gauge',
      samples: co2e,
    },
    {
      name: 'carbonctl_month_to_date_energy_kwh',
      help: `Electricity in kWh (IT energy x PUE) ${since}, per cluster and project or namespace, from the carbonctl ledger.`,
      type: 'gauge',
      samples: energy,
    },
    {
      name: 'carbonctl_month_to_date_cost',
      help: `Estimated cost ${since} in the labelled currency, per cluster and project or namespace, from the carbonctl ledger.`,
      type: 'gauge',
      samples: cost,
    },
  ];
};

/** When each cluster/source was last tracked up to, so a stale `track` cron job can alert. */
export const lastTrackedCollector: GaugeCollector = ({ ledger, filter }) => {
  const samples: MetricSample[] = [];
  const clusters = ledger
    .aggregate({
      filter: filter.cluster === undefined ? {} : { cluster: filter.cluster },
      groupBy: 'cluster',
    })
    .map((row) => row.group)
    .filter((name): name is string => name !== null);
  for (const cluster of clusters) {
    for (const source of ['nodes', 'pods'] as const) {
      const end = ledger.lastTrackedHourEnd(cluster, source);
      if (end !== null) samples.push({ labels: { cluster, source }, value: end.getTime() / 1000 });
    }
  }
  return [
    {
      name: 'carbonctl_ledger_last_tracked_timestamp_seconds',
      help: 'End of the last hour committed to the carbonctl ledger, per cluster and source (Unix seconds).',
      type: 'gauge',
      samples,
    },
  ];
};

/** Every collector, in output order. Recommendation and savings collectors are appended here (SPEC §11). */
export const GAUGE_COLLECTORS: readonly GaugeCollector[] = [
  monthToDateUsageCollector,
  lastTrackedCollector,
];

/** All gauge families for the month that contains `now` in `zone`. */
export function collectGauges(
  ledger: Ledger,
  filter: LedgerFilter,
  now: Date,
  zone: string,
  collectors = GAUGE_COLLECTORS,
): MetricFamily[] {
  const month = asUsage(() => bucketOf(now, 'monthly', zone));
  const input: CollectorInput = {
    ledger,
    filter,
    monthToDate: { from: month.start, to: now },
    zone,
  };
  return collectors.flatMap((collect) => collect(input));
}

/** Command entry: collect, render, and write the textfile (or print). */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, EXPORT_PROMETHEUS_OPTIONS);
  const ledger = openReadLedger(context, settings);
  const families = collectGauges(
    ledger,
    ledgerFilterFrom(invocation.opts),
    context.now(),
    settings.timezone,
  );
  const text = renderPrometheusText(families);
  const samples = families.reduce((count, family) => count + family.samples.length, 0);
  const textfile = optionalString(invocation.opts, 'textfile');
  if (textfile === undefined) {
    return { data: { families }, human: () => [{ text }] };
  }
  if (!textfile.endsWith('.prom')) {
    context.io.warn(
      `node_exporter's textfile collector only reads files ending in .prom; ${textfile} will be ignored by it.`,
    );
  }
  // The collector expects the file to be replaced on every run: always overwrite.
  const written = await writeFileAtomic(textfile, text, { force: true });
  return {
    data: { path: written.path, families: families.length, samples, bytes: written.bytes },
    human: () => [
      { text: `${written.path}: ${families.length} metric families, ${samples} samples\n` },
    ],
  };
}
