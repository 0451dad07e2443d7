/**
 * `carbonctl export prometheus`: the ledger's month-to-date figures as gauges in the Prometheus
 * text format, for node_exporter's textfile collector, written atomically so the collector
 * never reads half a file. Gauge families come from collectors: month-to-date usage, tracking
 * freshness, and recommendations with their realized savings (SPEC §8, §11).
 */
import type { Context } from '../../context.js';
import { bucketOf, formatOffsetIso, resolvePeriod, type TimeRange } from '../../core/periods.js';
import { savingsReport } from '../../core/recommendation-lifecycle.js';
import {
  RECOMMENDATION_PRIORITIES,
  RECOMMENDATION_STATUSES,
  RECOMMENDATION_TYPES,
} from '../../core/recommendation-model.js';
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

/** A source of gauge families; GAUGE_COLLECTORS lists them in output order. */
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

/**
 * Recommendations (SPEC §8, §11): active ones per cluster, type and priority with their potential
 * monthly CO2e, and the realized savings of applied ones — the monthly rate of the changes in
 * effect now and what they saved this month so far (kWh, gCO2e, cost). Series are zero-filled
 * for every type (and priority) of each cluster that has recommendations, so a count dropping to
 * 0 is a sample, not a vanished series. `--cluster` and `--namespace` narrow them; the
 * workspace filters (owner, project, …) do not apply to recommendations.
 */
export const recommendationsCollector: GaugeCollector = ({ ledger, filter, monthToDate, zone }) => {
  const scope = {
    ...(filter.cluster === undefined ? {} : { cluster: filter.cluster }),
    ...(filter.namespace === undefined ? {} : { namespace: filter.namespace }),
  };
  const all = ledger.recommendations.list({ ...scope, statuses: RECOMMENDATION_STATUSES });
  const entries = ledger.recommendations
    .savingsEntries()
    .filter(
      (entry) =>
        (scope.cluster === undefined || entry.cluster === scope.cluster) &&
        (scope.namespace === undefined || entry.namespace === scope.namespace),
    );
  const clusters = [
    ...new Set([
      ...all.recommendations.map((r) => r.target.cluster),
      ...entries.map((e) => e.cluster),
    ]),
  ].sort();
  const active: MetricSample[] = [];
  const potential: MetricSample[] = [];
  const realizedRate: MetricSample[] = [];
  const realizedCo2e: MetricSample[] = [];
  const realizedEnergy: MetricSample[] = [];
  const realizedCost: MetricSample[] = [];
  for (const cluster of clusters) {
    const activeHere = all.recommendations.filter(
      (r) => r.status === 'active' && r.target.cluster === cluster,
    );
    for (const type of RECOMMENDATION_TYPES) {
      for (const priority of RECOMMENDATION_PRIORITIES) {
        active.push({
          labels: { cluster, type, priority },
          value: activeHere.filter((r) => r.type === type && r.priority === priority).length,
        });
      }
    }
    const report = savingsReport({
      active: activeHere,
      entries: entries.filter((entry) => entry.cluster === cluster),
      period: monthToDate,
      now: monthToDate.to,
      zone,
    });
    for (const group of report.byType) {
      const labels = { cluster, type: group.type };
      potential.push({ labels, value: group.potentialMonthly.co2eGrams });
      realizedRate.push({ labels, value: group.realizedMonthly.co2eGrams });
      realizedCo2e.push({ labels, value: group.realizedInPeriod.co2eGrams });
      realizedEnergy.push({ labels, value: group.realizedInPeriod.energyKwh });
      const currency = group.realizedInPeriod.currency;
      if (currency !== null)
        realizedCost.push({ labels: { ...labels, currency }, value: group.realizedInPeriod.cost });
    }
  }
  const since = `since ${formatOffsetIso(monthToDate.from, zone)} (${zone})`;
  return [
    {
      name: 'carbonctl_recommendations_active',
      help: 'Active carbonctl recommendations per cluster, type and priority.',
      type: 'gauge',
      samples: active,
    },
    {
      name: 'carbonctl_recommendations_potential_co2e_grams_per_month',
      help: 'Estimated gCO2e per month the active recommendations would save, per cluster and type.',
      type: 'gauge',
      samples: potential,
    },
    {
      name: 'carbonctl_recommendations_realized_co2e_grams_per_month',
      help: 'Realized gCO2e per month of the applied recommendations in effect, per cluster and type.',
      type: 'gauge',
      samples: realizedRate,
    },
    {
      name: 'carbonctl_recommendations_realized_month_to_date_co2e_grams',
      help: `gCO2e saved by applied recommendations ${since}, per cluster and type.`,
      type: 'gauge',
      samples: realizedCo2e,
    },
    {
      name: 'carbonctl_recommendations_realized_month_to_date_energy_kwh',
      help: `kWh saved by applied recommendations ${since}, per cluster and type.`,
      type: 'gauge',
      samples: realizedEnergy,
    },
    {
      name: 'carbonctl_recommendations_realized_month_to_date_cost',
      help: `Money saved by applied recommendations ${since} in the labelled currency, per cluster and type.`,
      type: 'gauge',
      samples: realizedCost,
    },
  ];
};

/** Every collector, in output order (SPEC §11). */
export const GAUGE_COLLECTORS: readonly GaugeCollector[] = [
  monthToDateUsageCollector,
  lastTrackedCollector,
  recommendationsCollector,
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
  // --score's window is validated before anything is opened or asked (exit 2).
  const scoreFlag = invocation.opts.score;
  let scoreWindowRange: { from: Date; to: Date } | null = null;
  if (scoreFlag !== undefined && scoreFlag !== false) {
    const { scoreWindow } = await import('../score/score.js');
    const last = typeof scoreFlag === 'string' ? scoreFlag : '7d';
    const now = context.now();
    scoreWindowRange = scoreWindow(
      asUsage(() => resolvePeriod({ last }, now, settings.timezone)),
      now,
    );
  }
  const ledger = openReadLedger(context, settings);
  const families = collectGauges(
    ledger,
    ledgerFilterFrom(invocation.opts),
    context.now(),
    settings.timezone,
  );
  let failure: Error | undefined;
  if (scoreWindowRange !== null) {
    // Scored live from Prometheus, through the same pipeline as `carbonctl score`.
    const { scoreClusters, scoreFamilies } = await import('../score/score.js');
    const { selectClusters } = await import('../shared/prometheus.js');
    const window = scoreWindowRange;
    const cluster = optionalString(invocation.opts, 'cluster');
    const scored = await scoreClusters(
      context,
      settings,
      selectClusters(settings, cluster),
      window,
      { givenGPerKwh: null, allowEstimates: invocation.opts.allowEstimates === true },
      null,
    );
    families.push(...scoreFamilies(scored.results, window));
    failure = scored.failure;
  }
  const text = renderPrometheusText(families);
  const samples = families.reduce((count, family) => count + family.samples.length, 0);
  const textfile = optionalString(invocation.opts, 'textfile');
  if (textfile === undefined) {
    return { data: { families }, human: () => [{ text }], ...(failure ? { failure } : {}) };
  }
  if (!textfile.endsWith('.prom')) {
    context.io.warn(
      `node_exporter's textfile collector only reads files ending in .prom; ${textfile} will be ignored by it.`,
    );
  }
  // The collector expects the file to be replaced on every run: always overwrite.
  const written = await writeFileAtomic(textfile, text, {
    force: true,
    onInterrupt: (handler) => context.io.onInterrupt(handler),
  });
  return {
    ...(failure ? { failure } : {}),
    data: { path: written.path, families: families.length, samples, bytes: written.bytes },
    human: () => [
      { text: `${written.path}: ${families.length} metric families, ${samples} samples\n` },
    ],
  };
}
