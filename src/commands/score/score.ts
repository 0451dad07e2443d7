/**
 * `carbonctl score`: for each selected cluster, meter the window with the accounting pipeline
 * (the same meter, intensities and factors as `track`), add what kube-state-metrics and cAdvisor
 * say about requests, memory, restarts and autoscalers, and score it with core/score.ts.
 *
 * Energy weights, the energy-weighted intensity and the batch energy per hour all come from the
 * meter's priced entity-hours; a Kubernetes cluster's node utilization is the node_exporter
 * hosts' metered busy share over the same window.
 */
import { appendFile } from 'node:fs/promises';
import type { Context } from '../../context.js';
import { failedClusters, forEachCluster } from '../../accounting/clusters.js';
import { resolveHourlyIntensities, type IntensityRequest } from '../../accounting/intensity.js';
import { cacheLedger } from '../../accounting/ledger.js';
import { meterCluster, type PricedHour } from '../../accounting/meter.js';
import { clusterProfile } from '../../accounting/profile.js';
import { decideSource } from '../../accounting/source.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import { addToFootprintTotal, emptyFootprintTotal } from '../../core/methodology.js';
import { isBatchWorkload } from '../../core/recommendations.js';
import {
  SCORE_DIMENSIONS,
  sustainabilityScore,
  type ClusterScore,
  type DimensionScore,
  type ScoreDimension,
  type ScoreHost,
  type ScoreWorkload,
} from '../../core/score.js';
import type { UsageSource } from '../../core/usage.js';
import { BudgetExceededError, DataSourceError, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/files.js';
import type { Ledger } from '../../store/types.js';
import { annotation, escapeMarkdown, stepSummaryMarkdown } from '../../output/github.js';
import { renderJUnit, type JUnitTestCase } from '../../output/junit.js';
import type { MetricFamily } from '../../output/prometheus-text.js';
import type { CommandResult, HumanBlock } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { optionalString } from '../parse.js';
import { periodSelectorFrom, resolveReaderPeriod } from '../shared/ledger.js';
import {
  clusterFlag,
  createPrometheusClient,
  resolvePrometheusSettings,
  selectClusters,
} from '../shared/prometheus.js';
import type { Invocation } from '../spec.js';
import { SCORE_OPTIONS } from './index.js';

const HOUR_MS = 3_600_000;
/** Default window: a week, one weekly cycle of use. */
const DEFAULT_WINDOW = '7d';
/** Workload kinds scaled by replicas (an autoscaler can target them). */
const SCALABLE_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
]);

/** One cluster's score and what it was computed over. */
export interface ClusterScoreData extends ClusterScore {
  cluster: string;
  status: 'ok' | 'failed';
  error: string | null;
  source: UsageSource | null;
  window: { from: string; to: string };
  energy_kwh: number;
  co2e_g: number;
  intensity_provider: string | null;
  is_estimated: boolean;
  estimation_reasons: string[];
  /** `pass`/`fail` against `--min-score`, null without it. */
  gate: 'pass' | 'fail' | null;
}

/** The JSON of `score` (GreenKube's `{overall_score, dimension_scores}` plus the inputs). */
export interface ScoreData {
  /** The single cluster's score, or with several the energy-weighted mean of the scored ones. */
  overall_score: number | null;
  dimension_scores: Record<ScoreDimension, number | null>;
  /** The cluster the top-level figures describe; null when they combine several. */
  cluster: string | null;
  window: { from: string; to: string };
  min_score: number | null;
  status: 'pass' | 'fail' | null;
  clusters: ClusterScoreData[];
}

/** Key of a workload across the meter's labels and the statistics. */
function workloadKey(namespace: string, kind: string, name: string): string {
  return JSON.stringify([namespace, kind, name]);
}

interface MeteredWorkload {
  namespace: string;
  workload: string;
  kind: string;
  energyKwh: number;
  busyCoreSeconds: number;
  reservedCoreSeconds: number;
}

/** Scores one cluster over `window` (whole UTC hours). */
async function scoreCluster(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  window: { from: Date; to: Date },
  intensity: IntensityRequest,
  ledger: Ledger | null,
): Promise<Omit<ClusterScoreData, 'gate'>> {
  const profile = clusterProfile(settings, cluster);
  const client = await createPrometheusClient(context, cluster);
  const now = context.now();
  const { source } = await decideSource(
    { client, store: ledger, persist: false, now, notice: (m) => context.io.notice(m) },
    profile,
    window,
  );
  const intensities = await resolveHourlyIntensities(
    { http: () => context.http(), now, cache: ledger, warn: (m) => context.io.warn(m) },
    profile,
    window,
    intensity,
  );
  const total = emptyFootprintTotal();
  const reasons = new Set<string>();
  const workloads = new Map<string, MeteredWorkload>();
  const hosts = new Map<string, ScoreHost>();
  const batchEnergyByHour = new Map<number, number>();
  const addHosts = (priced: readonly PricedHour[]): void => {
    for (const { usage } of priced) {
      const host = hosts.get(usage.entityId) ?? {
        host: usage.entityId,
        busyCoreSeconds: 0,
        idleCoreSeconds: 0,
      };
      host.busyCoreSeconds += usage.busySeconds;
      host.idleCoreSeconds += usage.idleSeconds;
      hosts.set(usage.entityId, host);
    }
  };
  await meterCluster(client, { profile, source, window, intensities }, (priced) => {
    for (const hour of priced) {
      addToFootprintTotal(total, hour.usage, hour.footprint);
      for (const reason of hour.row.estimationReasons) reasons.add(reason);
    }
    if (source === 'nodes') {
      addHosts(priced);
      return;
    }
    for (const { usage, footprint } of priced) {
      const namespace = usage.labels.namespace ?? '';
      const kind = usage.labels.workloadKind ?? 'Pod';
      const name = usage.labels.workload ?? usage.labels.pod ?? usage.entityId;
      const key = workloadKey(namespace, kind, name);
      const entry = workloads.get(key) ?? {
        namespace,
        workload: name,
        kind,
        energyKwh: 0,
        busyCoreSeconds: 0,
        reservedCoreSeconds: 0,
      };
      entry.energyKwh += footprint.energy.totalKwh;
      entry.busyCoreSeconds += usage.busySeconds;
      entry.reservedCoreSeconds += usage.reservedCoreSeconds ?? 0;
      workloads.set(key, entry);
      if (isBatchWorkload(kind, namespace)) {
        const hourMs = usage.hourStart.getTime();
        batchEnergyByHour.set(
          hourMs,
          (batchEnergyByHour.get(hourMs) ?? 0) + footprint.energy.totalKwh,
        );
      }
    }
  });

  const scoreWorkloads: ScoreWorkload[] = [];
  if (source === 'pods') {
    // A Kubernetes cluster's nodes: the node_exporter hosts, metered over the same window.
    await meterCluster(client, { profile, source: 'nodes', window, intensities }, addHosts);
    const { fetchWorkloadStats } = await import('../../providers/prometheus/recommendations.js');
    const { fetchAutoscaledWorkloads, autoscalerKey } =
      await import('../../providers/prometheus/autoscalers.js');
    const [stats, autoscaled] = await Promise.all([
      fetchWorkloadStats(client, {
        from: window.from,
        to: window.to,
        scrapeIntervalSeconds: profile.scrapeIntervalSeconds,
        cpuPercentile: settings.recommendations.cpuPercentile,
        memoryPercentile: settings.recommendations.memoryPercentile,
      }),
      fetchAutoscaledWorkloads(client, window),
    ]);
    const seen = new Set<string>();
    for (const workload of stats.workloads) {
      const key = workloadKey(workload.namespace, workload.workloadKind, workload.workload);
      seen.add(key);
      const metered = workloads.get(key);
      const sum = (
        pick: (c: (typeof workload.containers)[number]) => number | null | undefined,
      ) => {
        const values = workload.containers
          .map(pick)
          .filter((value): value is number => typeof value === 'number');
        return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
      };
      scoreWorkloads.push({
        namespace: workload.namespace,
        workload: workload.workload,
        kind: workload.workloadKind,
        energyKwh: metered?.energyKwh ?? 0,
        busyCoreSeconds: metered?.busyCoreSeconds ?? 0,
        reservedCoreSeconds: metered?.reservedCoreSeconds ?? 0,
        memoryUsedBytes: sum((c) => c.memory?.mean),
        memoryRequestBytes: sum((c) => c.memoryRequestBytes),
        restarts: workload.containers.reduce((a, c) => a + c.restarts, 0),
        cpuP50Cores: sum((c) => c.cpu?.p50),
        cpuMaxCores: sum((c) => c.cpu?.max),
        hasAutoscaler: autoscaled.has(
          autoscalerKey(workload.namespace, workload.workloadKind, workload.workload),
        ),
        batch: isBatchWorkload(workload.workloadKind, workload.namespace),
        scalable: SCALABLE_KINDS.has(workload.workloadKind),
      });
    }
    // Workloads that ran in the window but not at its end (finished Jobs, removed Deployments).
    for (const [key, metered] of workloads) {
      if (seen.has(key)) continue;
      scoreWorkloads.push({
        ...metered,
        memoryUsedBytes: null,
        memoryRequestBytes: null,
        restarts: null,
        cpuP50Cores: null,
        cpuMaxCores: null,
        hasAutoscaler: false,
        batch: isBatchWorkload(metered.kind, metered.namespace),
        scalable: SCALABLE_KINDS.has(metered.kind),
      });
    }
  }

  const hourlyIntensity = new Map<number, number>();
  for (let hour = window.from.getTime(); hour < window.to.getTime(); hour += HOUR_MS) {
    try {
      hourlyIntensity.set(hour, intensities.at(hour).gPerKwh);
    } catch (error) {
      // The meter already refused hours with usage and no intensity; an hour without usage
      // and without a value simply cannot be the day's cleanest.
      if (!(error instanceof DataSourceError)) throw error;
    }
  }
  const score = sustainabilityScore({
    source,
    energyKwh: total.energyKwh,
    scope2LocationGrams: total.scope2LocationGrams,
    pue: profile.factors.pue,
    workloads: scoreWorkloads,
    hosts: [...hosts.values()],
    batchEnergyByHour,
    hourlyIntensity,
    idleBusyFraction: settings.recommendations.idleBusyFraction,
  });
  const estimationReasons = [...reasons].sort();
  return {
    cluster: cluster.name,
    status: 'ok',
    error: null,
    source,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    energy_kwh: total.energyKwh,
    co2e_g: total.totalGrams,
    intensity_provider: intensities.provider,
    is_estimated: estimationReasons.length > 0,
    estimation_reasons: estimationReasons,
    ...score,
  };
}

/** Energy-weighted mean of per-cluster values (plain mean when no cluster used energy). */
function combine(
  clusters: readonly ClusterScoreData[],
  pick: (c: ClusterScoreData) => number | null,
): number | null {
  const scored = clusters.filter((c) => c.status === 'ok' && pick(c) !== null);
  if (scored.length === 0) return null;
  const energy = scored.reduce((sum, c) => sum + c.energy_kwh, 0);
  if (energy <= 0) return scored.reduce((sum, c) => sum + (pick(c) as number), 0) / scored.length;
  return scored.reduce((sum, c) => sum + (pick(c) as number) * c.energy_kwh, 0) / energy;
}

/** Scores each cluster (a failed one is listed with its error; the failure names them all). */
export async function scoreClusters(
  context: Context,
  settings: Settings,
  clusters: readonly ClusterSettings[],
  window: { from: Date; to: Date },
  intensity: IntensityRequest,
  minScore: number | null,
): Promise<{ results: ClusterScoreData[]; failure: DataSourceError | undefined }> {
  const ledger = cacheLedger(context, settings);
  const spinner = context.io.spinner('Scoring clusters…');
  let outcomes;
  try {
    outcomes = await forEachCluster(
      clusters,
      (message) => context.io.warn(message),
      (cluster) => scoreCluster(context, settings, cluster, window, intensity, ledger),
    );
  } finally {
    spinner.stop();
  }
  const windowText = { from: window.from.toISOString(), to: window.to.toISOString() };
  const results: ClusterScoreData[] = outcomes.map((outcome) => {
    if (outcome.ok) {
      const gate =
        minScore === null ? null : outcome.value.overall_score >= minScore ? 'pass' : 'fail';
      return { ...outcome.value, gate };
    }
    return {
      cluster: outcome.cluster.name,
      status: 'failed',
      error: outcome.error.message,
      source: null,
      window: windowText,
      energy_kwh: 0,
      co2e_g: 0,
      intensity_provider: null,
      is_estimated: false,
      estimation_reasons: [],
      overall_score: 0,
      dimension_scores: Object.fromEntries(SCORE_DIMENSIONS.map((d) => [d, null])) as Record<
        ScoreDimension,
        number | null
      >,
      dimensions: [],
      gate: null,
    };
  });
  return { results, failure: failedClusters(outcomes) };
}

/** `carbonctl_sustainability_score{cluster}` and `…_dimension_score{cluster,dimension}` (export prometheus). */
export function scoreFamilies(
  results: readonly ClusterScoreData[],
  window: { from: Date; to: Date },
): MetricFamily[] {
  const scored = results.filter((c) => c.status === 'ok');
  const over = `over ${window.from.toISOString()} to ${window.to.toISOString()}`;
  return [
    {
      name: 'carbonctl_sustainability_score',
      help: `Sustainability score 0-100 (GreenKube's seven weighted dimensions) per cluster, ${over}.`,
      type: 'gauge',
      samples: scored.map((c) => ({ labels: { cluster: c.cluster }, value: c.overall_score })),
    },
    {
      name: 'carbonctl_sustainability_dimension_score',
      help: `Sustainability score 0-100 of one dimension per cluster (50 = no data; not-applicable dimensions are absent), ${over}.`,
      type: 'gauge',
      samples: scored.flatMap((c) =>
        c.dimensions
          .filter((d) => d.score !== null)
          .map((d) => ({
            labels: { cluster: c.cluster, dimension: d.dimension },
            value: d.score as number,
          })),
      ),
    },
  ];
}

/** Whole UTC hours of the requested period, ending at the last complete hour. */
export function scoreWindow(range: { from: Date; to: Date }, now: Date): { from: Date; to: Date } {
  const lastComplete = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const from = Math.floor(range.from.getTime() / HOUR_MS) * HOUR_MS;
  const to = Math.min(Math.ceil(range.to.getTime() / HOUR_MS) * HOUR_MS, lastComplete);
  if (!(to > from)) {
    throw new UsageError(
      `the window ${range.from.toISOString()} – ${range.to.toISOString()} holds no complete hour up to now`,
      { hint: 'Give a window in the past, e.g. --last 7d or --from 2026-03-01 --to 2026-03-08.' },
    );
  }
  return { from: new Date(from), to: new Date(to) };
}

/** The dimension table of one cluster. */
export function dimensionTable(cluster: ClusterScoreData): TableData {
  return {
    title: `${cluster.cluster}: overall ${cluster.status === 'ok' ? cluster.overall_score.toFixed(1) : '—'}/100`,
    columns: [
      { key: 'dimension', header: 'Dimension' },
      { key: 'weight', header: 'Weight', kind: 'number' },
      { key: 'score', header: 'Score (0-100)', kind: 'number' },
      { key: 'status', header: 'Status' },
      { key: 'inputs', header: 'Inputs' },
      { key: 'advice', header: 'How to raise it' },
    ],
    rows: cluster.dimensions.map((d) => ({
      dimension: d.dimension,
      weight: d.effective_weight,
      score: d.score,
      status:
        d.status === 'scored' ? 'scored' : d.status === 'no_data' ? 'no data (neutral 50)' : 'n/a',
      inputs: inputsText(d),
      advice: d.status === 'scored' ? d.advice : d.explanation,
    })),
  };
}

function inputsText(dimension: DimensionScore): string {
  return Object.entries(dimension.inputs)
    .filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => {
      if (Array.isArray(value)) return `${key}=${value.join(',')}`;
      return `${key}=${typeof value === 'number' ? Number(value.toPrecision(4)) : value}`;
    })
    .join(' ');
}

/** The one-row-per-cluster table (also the CSV). */
function clustersTable(clusters: readonly ClusterScoreData[]): TableData {
  return {
    columns: [
      { key: 'cluster', header: 'Cluster' },
      { key: 'source', header: 'Source' },
      { key: 'overall', header: 'Overall (0-100)', kind: 'number' },
      ...SCORE_DIMENSIONS.map((d) => ({ key: d, header: d, kind: 'number' as const })),
      { key: 'gate', header: 'Gate' },
    ],
    rows: clusters.map((c) => ({
      cluster: c.cluster,
      source: c.source,
      overall: c.status === 'ok' ? c.overall_score : null,
      ...c.dimension_scores,
      gate: c.status === 'failed' ? 'failed' : (c.gate ?? ''),
    })),
  };
}

const JUNIT_CLASS = 'carbonctl.score';

/** JUnit, GitHub annotations and step summary for `--min-score` / `--junit`. */
async function reportToCi(
  context: Context,
  data: ScoreData,
  junit: string | undefined,
  startedAt: Date,
): Promise<void> {
  const min = data.min_score;
  if (junit !== undefined) {
    const cases: JUnitTestCase[] = data.clusters.map((c) => {
      const name = `${c.cluster}: overall_score >= ${min ?? 0}`;
      if (c.status === 'failed')
        return {
          name,
          classname: JUNIT_CLASS,
          outcome: { kind: 'error', type: 'DataSourceError', message: c.error ?? 'failed' },
        };
      const text = `overall score ${c.overall_score.toFixed(1)}; ${c.dimensions
        .map((d) => `${d.dimension} ${d.score === null ? 'n/a' : d.score.toFixed(1)}`)
        .join(', ')}`;
      return {
        name,
        classname: JUNIT_CLASS,
        outcome:
          c.gate === 'fail'
            ? {
                kind: 'failure',
                type: 'ScoreBelowMinimum',
                message: `overall score ${c.overall_score.toFixed(1)} is below ${min}`,
                details: text,
              }
            : { kind: 'passed' },
        systemOut: text,
      };
    });
    const now = context.now();
    await writeFileAtomic(
      junit,
      renderJUnit('carbonctl score', [
        {
          name: 'sustainability score',
          timestamp: now,
          timeSeconds: Math.max(0, (now.getTime() - startedAt.getTime()) / 1000),
          properties: [
            ['carbonctl.version', context.version],
            ['window.from', data.window.from],
            ['window.to', data.window.to],
            ['min_score', String(min ?? '')],
          ],
          cases,
        },
      ]),
      { force: true, createDirectories: true },
    );
  }
  if (context.env.GITHUB_ACTIONS !== 'true' || min === null) return;
  for (const c of data.clusters) {
    if (c.status === 'failed') continue;
    const text = `${c.cluster}: sustainability score ${c.overall_score.toFixed(1)} (minimum ${min})`;
    if (c.gate !== 'fail' && context.io.quiet) continue;
    context.io.stderr.write(
      annotation(c.gate === 'fail' ? 'error' : 'notice', text, { title: 'Sustainability score' }),
    );
  }
  const summaryFile = context.env.GITHUB_STEP_SUMMARY;
  if (summaryFile !== undefined && summaryFile !== '') {
    const mark = data.status === 'fail' ? '❌ fail' : '✅ pass';
    const markdown = stepSummaryMarkdown({
      heading: `Sustainability score: ${mark} (minimum ${min})`,
      table: clustersTable(data.clusters),
      notes: data.clusters
        .filter((c) => c.status === 'ok')
        .flatMap((c) =>
          c.dimensions
            .filter((d) => d.status === 'scored' && (d.score ?? 100) < 100)
            .map((d) => escapeMarkdown(`${c.cluster} ${d.dimension}: ${d.advice}`)),
        ),
    });
    try {
      await appendFile(summaryFile, markdown, 'utf8');
    } catch (cause) {
      context.io.warn(
        `could not append to GITHUB_STEP_SUMMARY ${summaryFile}: ${(cause as Error).message}`,
      );
    }
  }
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const startedAt = context.now();
  const { command, opts } = invocation;
  if (opts.allClusters === true && clusterFlag(command) !== undefined) {
    throw new UsageError('--cluster and --all-clusters cannot be combined', {
      hint: 'Give --cluster <name> for one cluster, or neither for all of them.',
    });
  }
  const { settings } = await resolvePrometheusSettings(context, command, SCORE_OPTIONS);
  const now = context.now();
  const range = resolveReaderPeriod(periodSelectorFrom(opts), now, settings.timezone, {
    last: DEFAULT_WINDOW,
  });
  const window = scoreWindow(range, now);
  const minScore = (opts.minScore as number | undefined) ?? null;
  const junit = optionalString(opts, 'junit');
  const intensity: IntensityRequest = {
    givenGPerKwh: (opts.intensity as number | undefined) ?? null,
    allowEstimates: opts.allowEstimates === true,
  };
  const { results, failure: sourceFailure } = await scoreClusters(
    context,
    settings,
    selectClusters(settings, clusterFlag(command)),
    window,
    intensity,
    minScore,
  );
  const windowText = { from: window.from.toISOString(), to: window.to.toISOString() };
  const ok = results.filter((c) => c.status === 'ok');
  const single = results.length === 1 ? results[0] : undefined;
  const failing = ok.filter((c) => c.gate === 'fail');
  const data: ScoreData = {
    overall_score:
      single !== undefined
        ? single.status === 'ok'
          ? single.overall_score
          : null
        : combine(results, (c) => c.overall_score),
    dimension_scores: Object.fromEntries(
      SCORE_DIMENSIONS.map((d) => [
        d,
        single !== undefined
          ? single.dimension_scores[d]
          : combine(results, (c) => c.dimension_scores[d]),
      ]),
    ) as Record<ScoreDimension, number | null>,
    cluster: single?.cluster ?? null,
    window: windowText,
    min_score: minScore,
    status: minScore === null ? null : failing.length > 0 ? 'fail' : 'pass',
    clusters: results,
  };
  await reportToCi(context, data, junit, startedAt);
  for (const c of ok) {
    if (c.energy_kwh === 0)
      context.io.notice(
        `${c.cluster}: no usage between ${windowText.from} and ${windowText.to}; dimensions without data score a neutral 50`,
      );
  }
  const failure =
    sourceFailure ??
    (failing.length > 0
      ? new BudgetExceededError(
          `sustainability score below the minimum of ${minScore}: ${failing
            .map((c) => `${c.cluster} ${c.overall_score.toFixed(1)}`)
            .join(', ')}`,
          { hint: 'Each dimension in the output says how to raise it.' },
        )
      : undefined);
  return {
    data,
    ...(failure === undefined ? {} : { failure }),
    human: (): HumanBlock[] => [
      ...results
        .filter((c) => c.status === 'ok')
        .map((c): HumanBlock => ({ table: dimensionTable(c) })),
      ...(results.length > 1 ? [{ table: clustersTable(results) }] : []),
      { text: `Window ${windowText.from} – ${windowText.to}.\n` },
    ],
    csv: () => clustersTable(results),
  };
}
