/**
 * Hourly CPU and memory usage per workspace (node_exporter) or pod (cAdvisor +
 * kube-state-metrics), exact from counter samples (SPEC §2, §5).
 *
 * How: range queries at the scrape resolution return, per entity, the sum of its counters'
 * samples — `last_over_time(x[step − 1 ms])` so each step shows only a sample taken within that
 * step (no 5-minute lookback filling after a pod ended, and the same windows on Prometheus 2.x and
 * 3.x). `core/counters.ts` turns them into exact increases per UTC hour. The window is fetched in
 * hour-aligned chunks sized to the data actually returned, so memory stays bounded, and each
 * chunk's hours are handed to the caller before the next is processed, so `track` can commit
 * chunk by chunk. The next two chunks are already being fetched while one is processed.
 *
 * Chunk edges never change a number: the first chunk reads an hour before `from` so every
 * series starts from its real value, counters and gauges carry their last sample from one chunk
 * to the next, and each chunk also reads a staleness window past its end, so missed scrapes
 * around the boundary are spread over the hours on both sides exactly as in one long query.
 * Hence the query ranges of consecutive chunks overlap by that window (5 minutes by default).
 */
import { ConfigError, InternalError, UsageError } from '../../errors.js';
import type { CounterCarry, CounterOptions, StepHour } from '../../core/counters.js';
import {
  DataStart,
  GaugeCursor,
  StepAccumulator,
  emptyStepHour,
  hourOfInterval,
  visitCounterIntervals,
} from '../../core/counters.js';
import type {
  EntityHourUsage,
  EntityLabels,
  UsageFetchOptions,
  UsageSource,
} from '../../core/usage.js';
import { BYTES_PER_GIB, HOUR_SECONDS, isWholeHour } from '../../core/usage.js';
import type { PrometheusClient, RangeSeries, VectorSample } from './client.js';
import { emptyOwners, learnOwners, type OwnerState } from './owners.js';
import { podWorkload } from '../../core/clusters.js';
import { MAX_STEPS_PER_QUERY } from './client.js';
import type { MatcherText } from './promql.js';
import {
  anyOfRegex,
  isValidLabelName,
  matcher,
  rangeMs,
  configMatchers,
  selector,
} from './promql.js';

/** Knobs shared by both sources; the defaults suit a standard 15 s scrape interval. */
export interface UsageFetchTuning {
  /** Query step = the scrape interval, seconds; must divide 3600 (default 15). */
  stepSeconds?: number;
  /**
   * How far a chunk reads past its end, and how near the data's start a first sample must be to
   * count as already running (default 300 = Prometheus's lookback delta; at least one step).
   */
  stalenessSeconds?: number;
  /** Gaps without a counter reset up to this long are interpolated and flagged (default 24 h, SPEC §2 `maxGapHours`). */
  maxGapSeconds?: number;
  /**
   * How far before `from` samples are read to know each series' starting value (default 3600).
   * A series with no sample in that time is treated as new and counted from 0 — unless the data
   * itself begins inside the range read: then series present from its start were already running
   * (core/counters.ts DataStart).
   */
  baseLookbackSeconds?: number;
  /** Target number of samples per chunk over all of its range queries (default 250,000). */
  maxPointsPerChunk?: number;
  /** Length of the first chunk, before the data's density is known (default 1 h). */
  initialChunkHours?: number;
  /** Upper bound on chunk length (default: what fits the 11,000-points-per-series limit). */
  maxChunkHours?: number;
  /** Fetch the next chunk while the current one is processed (default true; off: one chunk in memory at a time). */
  prefetch?: boolean;
}

/** node_exporter workspaces (SPEC §1.3 `clusters[].workspaces`, `power.idleModes`). */
export interface NodeUsageSettings extends UsageFetchTuning {
  hostLabel: string;
  projectLabel: string;
  machineLabel: string;
  ownerLabel: string;
  /** Extra matchers from the config, e.g. `job="node"`; validated and re-rendered. */
  selector: string;
  /** `node_cpu_seconds_total` modes counted as idle; every other mode is busy. */
  idleModes: readonly string[];
  /** Further matchers built by the caller with `matcher()` (e.g. from `--owner`). */
  matchers?: readonly MatcherText[];
}

/** cAdvisor + kube-state-metrics pods. */
export interface PodUsageSettings extends UsageFetchTuning {
  /** Extra matchers applied to every pod metric, e.g. `cluster="prod"`. */
  selector: string;
  /** Further matchers built by the caller with `matcher()` (e.g. from `--namespace`). */
  matchers?: readonly MatcherText[];
}

/**
 * How complete one chunk's samples are: steps ended by a real sample, and the steps expected
 * from each series between its first and last sample (sampled + inside gaps). A series that
 * starts or ends inside the window is not missing before or after it.
 */
export interface ChunkQuality {
  sampledSteps: number;
  expectedSteps: number;
}

/** Receives each chunk's entity-hours (possibly none), the end of the hours it covers, and its sample quality. */
export type OnHours = (
  hours: EntityHourUsage[],
  chunkEnd: Date,
  quality: ChunkQuality,
) => Promise<void> | void;

/** The SPEC §1.3 defaults for workspaces. */
export const DEFAULT_NODE_SETTINGS: Readonly<NodeUsageSettings> = Object.freeze({
  hostLabel: 'instance',
  projectLabel: 'cloud_project_name',
  machineLabel: 'machine_name',
  ownerLabel: 'owner',
  selector: '',
  idleModes: Object.freeze(['idle', 'iowait']),
});

const DEFAULT_STEP_SECONDS = 15;
/** Prometheus's default `--query.lookback-delta` (reference/prometheus.md §1.5). */
const DEFAULT_STALENESS_SECONDS = 300;
const DEFAULT_BASE_LOOKBACK_SECONDS = HOUR_SECONDS;
/** Scrapes read past a chunk's end at the least, whatever the staleness window. */
const LOOKAHEAD_MIN_STEPS = 4;
/** SPEC §2: `maxGapHours` defaults to 24. */
const DEFAULT_MAX_GAP_SECONDS = 24 * HOUR_SECONDS;
/** ~25 MB of JSON and 16 MB of typed arrays per chunk (measured: 1,000 hosts × 2 h at 15 s). */
const DEFAULT_MAX_POINTS_PER_CHUNK = 250_000;

/** Real containers only: the pod cgroup (`container=""`) and pause container would double-count. */
const CONTAINER_MATCHERS: readonly MatcherText[] = [
  matcher('container', '!=', ''),
  matcher('container', '!=', 'POD'),
];

interface Tuning {
  stepSeconds: number;
  stalenessSeconds: number;
  maxGapSeconds: number;
  baseLookbackSeconds: number;
  maxPointsPerChunk: number;
  initialChunkHours: number;
  maxChunkHours: number;
  prefetch: boolean;
  /** How far past a chunk's end its queries read: the staleness window, on the step grid. */
  lookaheadSeconds: number;
}

/** What one chunk's queries returned, reduced to what the next chunk's size depends on. */
interface Fetched<T> {
  data: T;
  points: number;
}

/**
 * Busy and idle core-seconds per workspace and UTC hour from `node_cpu_seconds_total`, over
 * `[from, to)`, delivered chunk by chunk.
 */
export async function fetchNodeUsage(
  client: PrometheusClient,
  settings: NodeUsageSettings,
  window: UsageFetchOptions,
  onHours: OnHours,
): Promise<void> {
  const tuning = resolveTuning(settings);
  for (const [key, name] of [
    ['hostLabel', settings.hostLabel],
    ['projectLabel', settings.projectLabel],
    ['machineLabel', settings.machineLabel],
    ['ownerLabel', settings.ownerLabel],
  ] as const) {
    if (!isValidLabelName(name)) {
      throw new ConfigError(
        `workspaces.${key}: ${JSON.stringify(name)} is not a valid Prometheus label name`,
      );
    }
  }
  const userMatchers = [
    ...configMatchers(settings.selector, 'workspaces.selector'),
    ...(settings.matchers ?? []),
  ];
  const grouping = [
    ...new Set([
      settings.hostLabel,
      settings.projectLabel,
      settings.machineLabel,
      settings.ownerLabel,
    ]),
  ];
  const range = rangeMs(tuning.stepSeconds * 1000 - 1);
  const idleRegex = anyOfRegex(settings.idleModes);
  // Two queries rather than one `… or …`: Prometheus evaluates `or` per step with label matching,
  // which measured 2.5× slower than the two halves sent side by side.
  const modeQuery = (op: '=~' | '!~'): string =>
    `sum by (${grouping.join(', ')}) (last_over_time(${selector('node_cpu_seconds_total', [
      ...userMatchers,
      matcher('mode', op, idleRegex),
    ])}[${range}]))`;
  const idleQuery = modeQuery('=~');
  const busyQuery = modeQuery('!~');

  const carries = new Map<string, CounterCarry | null>();
  const origin = dataStartFor(window, tuning);
  // The metric without the caller's filters: whether anything was scraped before a series appears.
  const presence = selector(
    'node_cpu_seconds_total',
    configMatchers(settings.selector, 'workspaces.selector'),
  );
  await runChunks<NodeChunk>(
    window,
    tuning,
    async (range) => {
      const [busy, idle] = await Promise.all([
        client.rangeQuery(busyQuery, range.queryStart, range.queryEnd, tuning.stepSeconds),
        client.rangeQuery(idleQuery, range.queryStart, range.queryEnd, tuning.stepSeconds),
      ]);
      return { data: { busy, idle }, points: countPoints(busy) + countPoints(idle) };
    },
    (chunk) => locateDataStart(client, origin, [...chunk.busy, ...chunk.idle], presence, tuning),
    (chunk, range, quality) => nodeHours(chunk, settings, tuning, carries, origin, range, quality),
    onHours,
  );
}

/** Raw data of one nodes chunk: per-host sums of the busy and of the idle modes. */
interface NodeChunk {
  busy: RangeSeries[];
  idle: RangeSeries[];
}

/** Per host, busy/idle counters of one chunk → entity-hours. */
function nodeHours(
  chunk: NodeChunk,
  settings: NodeUsageSettings,
  tuning: Tuning,
  carries: Map<string, CounterCarry | null>,
  origin: DataStart,
  range: ChunkRange,
  quality: ChunkQuality,
): EntityHourUsage[] {
  interface HostSeries {
    busy: RangeSeries[];
    idle: RangeSeries[];
  }
  const hosts = new Map<string, HostSeries>();
  for (const group of ['busy', 'idle'] as const) {
    for (const item of chunk[group]) {
      const host = item.metric[settings.hostLabel];
      if (host === undefined || host === '') continue;
      let entry = hosts.get(host);
      if (entry === undefined) {
        entry = { busy: [], idle: [] };
        hosts.set(host, entry);
      }
      entry[group].push(item);
    }
  }

  const { fromSeconds, toSeconds } = range;
  const counterOptions = counterOptionsOf(tuning);
  const steps = accumulatorFor(range, tuning);
  const rows: EntityHourUsage[] = [];
  for (const host of [...hosts.keys()].sort()) {
    const entry = hosts.get(host) as HostSeries;
    steps.reset();
    (['busy', 'idle'] as const).forEach((group, channel) => {
      const key = `${host}\u0000${group}`;
      const merged = mergeSameEntity(entry[group]);
      const carry = visitCounterIntervals(
        merged.times,
        merged.values,
        carries.get(key) ?? origin.initialCarry(merged.times, merged.values),
        counterOptions,
        (end, increase, flags) => steps.add(channel, end, increase, flags),
        toSeconds,
      );
      carries.set(key, carry);
    });
    const hours = steps.hours(fromSeconds, toSeconds);
    const labelsByHour = dominantLabels([...entry.busy, ...entry.idle], tuning.stepSeconds);

    for (const hour of [...hours.keys()].sort((a, b) => a - b)) {
      const total = hours.get(hour) as StepHour;
      noteQuality(quality, total);
      if (total.coveredSteps === 0) continue;
      const metric = labelsByHour.get(hour) ?? {};
      const labels: EntityLabels = { host };
      setLabel(labels, 'project', metric[settings.projectLabel]);
      setLabel(labels, 'machine', metric[settings.machineLabel]);
      setLabel(labels, 'owner', metric[settings.ownerLabel]);
      rows.push({
        source: 'nodes',
        entityId: host,
        hourStart: new Date(hour * 1000),
        busySeconds: total.sums[0] ?? 0,
        idleSeconds: total.sums[1] ?? 0,
        reservedCoreSeconds: null,
        memoryGiBHours: 0,
        labels,
        coverage: coverageOf(total.sampledSteps, tuning.stepSeconds),
        gapInterpolated: total.estimatedSteps > 0,
      });
    }
  }
  return rows;
}

/** Raw data of one pods chunk. */
interface PodChunk {
  cpu: RangeSeries[];
  requests: RangeSeries[];
  memory: RangeSeries[];
  podOwners: VectorSample[];
  replicaSetOwners: VectorSample[];
  jobOwners: VectorSample[];
}

/**
 * Busy, reserved and idle core-seconds and working-set GiB-hours per pod and UTC hour, over
 * `[from, to)`, delivered chunk by chunk. Reserved = CPU request × the time the pod's containers
 * actually ran (from cAdvisor samples), so a 20-minute CI pod is charged 20 minutes.
 */
export async function fetchPodUsage(
  client: PrometheusClient,
  settings: PodUsageSettings,
  window: UsageFetchOptions,
  onHours: OnHours,
): Promise<void> {
  const tuning = resolveTuning(settings);
  const userMatchers = [
    ...configMatchers(settings.selector, 'source selector'),
    ...(settings.matchers ?? []),
  ];
  const range = rangeMs(tuning.stepSeconds * 1000 - 1);
  const containers = [...CONTAINER_MATCHERS, ...userMatchers];
  const cpuQuery = `sum by (namespace, pod, container) (last_over_time(${selector('container_cpu_usage_seconds_total', containers)}[${range}]))`;
  const memoryQuery = `sum by (namespace, pod) (last_over_time(${selector('container_memory_working_set_bytes', containers)}[${range}]))`;
  // Requests come from kube-state-metrics, often scraped less often: the plain selector's
  // lookback keeps the value between its scrapes. Whether the pod ran is decided by cAdvisor.
  const requestsQuery = `sum by (namespace, pod) (${selector(
    'kube_pod_container_resource_requests',
    [matcher('resource', '=', 'cpu'), ...userMatchers],
  )})`;
  const ownerQuery = (metric: string, by: string, lookbackSeconds: number): string =>
    `max by (${by}) (last_over_time(${selector(metric, userMatchers)}[${lookbackSeconds}s]))`;

  const carries = new Map<string, CounterCarry | null>();
  const gaugeCarries = new Map<string, { timeSeconds: number; value: number } | null>();
  const owners = emptyOwners();
  const origin = dataStartFor(window, tuning);
  const presence = selector('container_cpu_usage_seconds_total', [
    ...CONTAINER_MATCHERS,
    ...configMatchers(settings.selector, 'source selector'),
  ]);

  await runChunks<PodChunk>(
    window,
    tuning,
    async ({ queryStart, queryEnd, chunkEnd }) => {
      const lookbackSeconds =
        Math.round((chunkEnd.getTime() - queryStart.getTime()) / 1000) + tuning.stepSeconds;
      const [cpu, requests, memory, podOwners, replicaSetOwners, jobOwners] = await Promise.all([
        client.rangeQuery(cpuQuery, queryStart, queryEnd, tuning.stepSeconds),
        client.rangeQuery(requestsQuery, queryStart, queryEnd, tuning.stepSeconds),
        client.rangeQuery(memoryQuery, queryStart, queryEnd, tuning.stepSeconds),
        client.vectorQuery(
          ownerQuery(
            'kube_pod_owner',
            'namespace, pod, owner_kind, owner_name, owner_is_controller',
            lookbackSeconds,
          ),
          chunkEnd,
        ),
        client.vectorQuery(
          ownerQuery(
            'kube_replicaset_owner',
            'namespace, replicaset, owner_kind, owner_name',
            lookbackSeconds,
          ),
          chunkEnd,
        ),
        client.vectorQuery(
          ownerQuery(
            'kube_job_owner',
            'namespace, job_name, owner_kind, owner_name',
            lookbackSeconds,
          ),
          chunkEnd,
        ),
      ]);
      return {
        data: { cpu, requests, memory, podOwners, replicaSetOwners, jobOwners },
        points: countPoints(cpu) + countPoints(requests) + countPoints(memory),
      };
    },
    (chunk) => locateDataStart(client, origin, chunk.cpu, presence, tuning),
    (chunk, range, quality) => {
      learnOwners(owners, chunk.podOwners, chunk.replicaSetOwners, chunk.jobOwners);
      return podHours(chunk, tuning, carries, gaugeCarries, owners, origin, range, quality);
    },
    onHours,
  );
}

/** Per pod, container counters + request and memory gauges of one chunk → entity-hours. */
function podHours(
  chunk: PodChunk,
  tuning: Tuning,
  carries: Map<string, CounterCarry | null>,
  gaugeCarries: Map<string, { timeSeconds: number; value: number } | null>,
  owners: OwnerState,
  origin: DataStart,
  range: ChunkRange,
  quality: ChunkQuality,
): EntityHourUsage[] {
  const step = tuning.stepSeconds;
  const { fromSeconds, toSeconds } = range;
  const counterOptions = counterOptionsOf(tuning);
  const containersByPod = new Map<string, Map<string, RangeSeries[]>>();
  for (const item of chunk.cpu) {
    const { namespace, pod } = item.metric;
    if (namespace === undefined || pod === undefined || namespace === '' || pod === '') continue;
    const podKey = `${namespace}/${pod}`;
    let containers = containersByPod.get(podKey);
    if (containers === undefined) {
      containers = new Map();
      containersByPod.set(podKey, containers);
    }
    const container = item.metric['container'] ?? '';
    const list = containers.get(container) ?? [];
    list.push(item);
    containers.set(container, list);
  }
  const byPod = (list: RangeSeries[]): Map<string, RangeSeries> => {
    const map = new Map<string, RangeSeries>();
    for (const item of list) {
      const { namespace, pod } = item.metric;
      if (namespace !== undefined && pod !== undefined) map.set(`${namespace}/${pod}`, item);
    }
    return map;
  };
  const requestsByPod = byPod(chunk.requests);
  const memoryByPod = byPod(chunk.memory);
  const empty = new Float64Array(0);
  const steps = accumulatorFor(range, tuning);

  const rows: EntityHourUsage[] = [];
  for (const podKey of [...containersByPod.keys()].sort()) {
    const containers = containersByPod.get(podKey) as Map<string, RangeSeries[]>;
    // The pod ran during the steps any of its containers covered; busy is their sum.
    steps.reset();
    for (const [container, seriesList] of containers) {
      const key = `${podKey}\u0000${container}`;
      const merged = mergeSameEntity(seriesList);
      const carry = visitCounterIntervals(
        merged.times,
        merged.values,
        carries.get(key) ?? origin.initialCarry(merged.times, merged.values),
        counterOptions,
        (end, increase, flags) => steps.add(0, end, increase, flags),
        toSeconds,
      );
      carries.set(key, carry);
    }

    const gauge = (series: RangeSeries | undefined, key: string): GaugeCursor =>
      new GaugeCursor(
        series?.times ?? empty,
        series?.values ?? empty,
        tuning.stalenessSeconds,
        gaugeCarries.get(key) ?? null,
      );
    const requestKey = `${podKey}\u0000requests`;
    const memoryKey = `${podKey}\u0000memory`;
    const requests = gauge(requestsByPod.get(podKey), requestKey);
    const memory = gauge(memoryByPod.get(podKey), memoryKey);

    const hours = new Map<
      number,
      { busy: number; reserved: number; memoryByteSeconds: number; steps: StepHour }
    >();
    const busy = steps.sums[0] as Float64Array;
    const { first, last } = steps.activeRange(fromSeconds, toSeconds);
    for (let index = first; index <= last; index++) {
      if (steps.flags[index] === 0) continue;
      const end = steps.endOf(index);
      const hour = hourOfInterval(end, step);
      let total = hours.get(hour);
      if (total === undefined) {
        total = { busy: 0, reserved: 0, memoryByteSeconds: 0, steps: emptyStepHour(1) };
        hours.set(hour, total);
      }
      steps.tally(total.steps, index);
      if (steps.covered[index] !== 1) continue;
      let requestCores = requests.valueAt(end);
      let workingSetBytes = memory.valueAt(end);
      // kube-state-metrics may report a new pod a scrape late; its first value applies.
      if (Number.isNaN(requestCores)) requestCores = requests.firstValueFrom(end);
      if (Number.isNaN(workingSetBytes)) workingSetBytes = memory.firstValueFrom(end);
      total.busy += busy[index] as number;
      if (Number.isFinite(requestCores)) total.reserved += requestCores * step;
      if (Number.isFinite(workingSetBytes)) total.memoryByteSeconds += workingSetBytes * step;
    }
    gaugeCarries.set(requestKey, requests.carry(toSeconds));
    gaugeCarries.set(memoryKey, memory.carry(toSeconds));

    const slash = podKey.indexOf('/');
    const namespace = podKey.slice(0, slash);
    const pod = podKey.slice(slash + 1);
    const workload = podWorkload(namespace, pod, owners);
    for (const hour of [...hours.keys()].sort((a, b) => a - b)) {
      const total = hours.get(hour) as {
        busy: number;
        reserved: number;
        memoryByteSeconds: number;
        steps: StepHour;
      };
      noteQuality(quality, total.steps);
      if (total.steps.coveredSteps === 0) continue;
      rows.push({
        source: 'pods',
        entityId: podKey,
        hourStart: new Date(hour * 1000),
        busySeconds: total.busy,
        idleSeconds: Math.max(0, total.reserved - total.busy),
        reservedCoreSeconds: total.reserved,
        memoryGiBHours: total.memoryByteSeconds / HOUR_SECONDS / BYTES_PER_GIB,
        labels: { namespace, pod, workload: workload.name, workloadKind: workload.kind },
        coverage: coverageOf(total.steps.sampledSteps, step),
        gapInterpolated: total.steps.estimatedSteps > 0,
      });
    }
  }
  return rows;
}

/**
 * The source `auto` resolves to for a window (SPEC §1.3): `pods` when cAdvisor container CPU
 * series have samples anywhere in `[from, to)`, `nodes` when node_exporter's do, null when
 * neither has (nothing to decide from). One instant query each at the window's end, looking back
 * over the whole window, so the decision depends on the data metered, not on the clock.
 */
export async function detectSource(
  client: PrometheusClient,
  window: { from: Date; to: Date },
): Promise<UsageSource | null> {
  const lookbackSeconds = Math.max(1, (window.to.getTime() - window.from.getTime()) / 1000);
  // last_over_time(x[d]) at `to` sees samples in (to − d, to]; the window is [from, to).
  const at = new Date(window.to.getTime() - 1);
  const pods = await client.countSeries(
    selector('container_cpu_usage_seconds_total', CONTAINER_MATCHERS),
    { time: at, lookbackSeconds },
  );
  if (pods > 0) return 'pods';
  const nodes = await client.countSeries(selector('node_cpu_seconds_total', []), {
    time: at,
    lookbackSeconds,
  });
  return nodes > 0 ? 'nodes' : null;
}

/** One chunk: the hours it hands over and the (wider) range its queries read. */
interface ChunkRange {
  /** Hours handed over: `[chunkStart, chunkEnd)`, in seconds too. */
  chunkStart: Date;
  chunkEnd: Date;
  fromSeconds: number;
  toSeconds: number;
  /**
   * Queries read `[queryStart, queryEnd]`: from the base look-back (first chunk) or the step after
   * the previous chunk, to a staleness window past the end, so a gap straddling the chunk end is
   * spread over the hours before it exactly as it would be in one long query.
   */
  queryStart: Date;
  queryEnd: Date;
}

/** A step accumulator over a chunk's query grid. */
function accumulatorFor(range: ChunkRange, tuning: Tuning): StepAccumulator {
  const startSeconds = seconds(range.queryStart);
  const steps = Math.round((seconds(range.queryEnd) - startSeconds) / tuning.stepSeconds) + 1;
  return new StepAccumulator(startSeconds, tuning.stepSeconds, steps, 2);
}

/** Chunks being fetched ahead of the one being processed (SPEC §12 backfill speed). */
const PREFETCH_DEPTH = 2;

/**
 * Walks `[from, to)` in hour-aligned chunks. While one chunk is turned into hours, the next
 * {@link PREFETCH_DEPTH} are already being fetched (sized by the density of the latest chunk
 * fetched): Prometheus evaluates one while this process parses the answer of another, so neither
 * waits for the other. `prepare` runs for each chunk in order before its hours are computed
 * (e.g. a query that must see the chunks in time order); then the hours are handed over.
 */
async function runChunks<T>(
  window: UsageFetchOptions,
  tuning: Tuning,
  fetch: (range: ChunkRange) => Promise<Fetched<T>>,
  prepare: (data: T, range: ChunkRange) => Promise<void>,
  toHours: (data: T, range: ChunkRange, quality: ChunkQuality) => EntityHourUsage[],
  onHours: OnHours,
): Promise<void> {
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  if (!isWholeHour(window.from) || !isWholeHour(window.to)) {
    throw new InternalError(
      `usage window must start and end on whole UTC hours (got ${window.from.toISOString()} .. ${window.to.toISOString()})`,
    );
  }
  if (toMs <= fromMs) return;
  const hourMs = HOUR_SECONDS * 1000;
  const stepMs = tuning.stepSeconds * 1000;

  interface Pending {
    range: ChunkRange;
    result: Promise<Fetched<T>>;
  }
  const begin = (start: number, hours: number, first: boolean): Pending => {
    const end = Math.min(toMs, start + hours * hourMs);
    const range: ChunkRange = {
      chunkStart: new Date(start),
      chunkEnd: new Date(end),
      fromSeconds: start / 1000,
      toSeconds: end / 1000,
      // The first chunk reads back far enough to know every series' starting value; later ones
      // continue from the carries, i.e. the previous chunk's last sample at or before `start`.
      queryStart: new Date(first ? start - tuning.baseLookbackSeconds * 1000 : start + stepMs),
      queryEnd: new Date(end + tuning.lookaheadSeconds * 1000),
    };
    const result = fetch(range);
    // Rejections are handled when awaited; this only stops an "unhandled rejection" meanwhile.
    result.catch(() => undefined);
    return { range, result };
  };

  const queue: Pending[] = [begin(fromMs, tuning.initialChunkHours, true)];
  let scheduledEnd = (queue[0] as Pending).range.chunkEnd.getTime();
  const depth = tuning.prefetch ? PREFETCH_DEPTH : 0;
  for (;;) {
    const current = queue.shift() as Pending;
    const fetched = await current.result;
    const { range } = current;
    // Before more is fetched, so the data-start check is the next query after the first chunk.
    await prepare(fetched.data, range);
    let nextHours = 0;
    if (scheduledEnd < toMs) {
      const readHours = (range.queryEnd.getTime() - range.queryStart.getTime()) / hourMs;
      const pointsPerHour = fetched.points / readHours;
      nextHours =
        pointsPerHour <= 0
          ? tuning.maxChunkHours
          : Math.max(
              1,
              Math.min(tuning.maxChunkHours, Math.floor(tuning.maxPointsPerChunk / pointsPerHour)),
            );
      while (scheduledEnd < toMs && queue.length < depth) {
        const ahead = begin(scheduledEnd, nextHours, false);
        queue.push(ahead);
        scheduledEnd = ahead.range.chunkEnd.getTime();
      }
    }
    const quality: ChunkQuality = { sampledSteps: 0, expectedSteps: 0 };
    const rows = toHours(fetched.data, range, quality);
    await onHours(rows, range.chunkEnd, quality);
    // Without prefetch the next chunk is begun only now, after this one was processed.
    if (queue.length === 0 && scheduledEnd < toMs) {
      const next = begin(scheduledEnd, nextHours, false);
      queue.push(next);
      scheduledEnd = next.range.chunkEnd.getTime();
    }
    if (queue.length === 0) return;
  }
}

/**
 * Settles where the fetch's data begins (core/counters.ts DataStart) once a chunk brings the
 * first samples: if they appear after the start of the range read, one instant query asks whether
 * the unfiltered metric had any sample in the staleness window just before them.
 */
async function locateDataStart(
  client: PrometheusClient,
  origin: DataStart,
  series: readonly RangeSeries[],
  presenceSelector: string,
  tuning: Tuning,
): Promise<void> {
  const candidate = origin.candidate(series);
  if (candidate === null) return;
  const before = await client.countSeries(presenceSelector, {
    // A full staleness window before the candidate: targets' first scrapes are spread over a
    // scrape interval, so samples just before it may belong to the same beginning.
    time: new Date((candidate - tuning.stalenessSeconds) * 1000),
    lookbackSeconds: tuning.stalenessSeconds,
  });
  origin.decide(before > 0 ? null : candidate);
}

/** Where the fetch's data begins, relative to the first chunk's read range (look-back included). */
function dataStartFor(window: UsageFetchOptions, tuning: Tuning): DataStart {
  return new DataStart(
    window.from.getTime() / 1000 - tuning.baseLookbackSeconds,
    counterOptionsOf(tuning),
  );
}

function resolveTuning(settings: UsageFetchTuning): Tuning {
  const stepSeconds = settings.stepSeconds ?? DEFAULT_STEP_SECONDS;
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1 || HOUR_SECONDS % stepSeconds !== 0) {
    throw new UsageError(
      `step ${stepSeconds} s must be a whole number of seconds that divides an hour (e.g. 15, 30, 60)`,
    );
  }
  const stalenessSeconds = Math.max(
    stepSeconds,
    settings.stalenessSeconds ?? DEFAULT_STALENESS_SECONDS,
  );
  const maxGapSeconds = settings.maxGapSeconds ?? DEFAULT_MAX_GAP_SECONDS;
  if (!(maxGapSeconds >= stepSeconds)) {
    throw new UsageError(
      `the longest interpolated gap (${maxGapSeconds} s) must be at least the scrape interval (${stepSeconds} s)`,
    );
  }
  const baseLookbackSeconds =
    Math.ceil((settings.baseLookbackSeconds ?? DEFAULT_BASE_LOOKBACK_SECONDS) / stepSeconds) *
    stepSeconds;
  // Past each chunk's end the queries read the staleness window, and at least four scrapes, so
  // a few missed scrapes straddling a chunk boundary are interpolated exactly as in one query
  // (a longer outage across a boundary books only its part after it, flagged and uncovered).
  const lookaheadSeconds = Math.max(
    Math.ceil(stalenessSeconds / stepSeconds) * stepSeconds,
    LOOKAHEAD_MIN_STEPS * stepSeconds,
  );
  // Keep the first (widest) chunk's queries within the points-per-series limit.
  const stepsCap = Math.floor(
    (MAX_STEPS_PER_QUERY * stepSeconds - baseLookbackSeconds - lookaheadSeconds) / HOUR_SECONDS,
  );
  const maxChunkHours = Math.max(1, Math.min(settings.maxChunkHours ?? Infinity, stepsCap));
  return {
    stepSeconds,
    stalenessSeconds,
    maxGapSeconds,
    baseLookbackSeconds: Math.max(stepSeconds, baseLookbackSeconds),
    maxPointsPerChunk: settings.maxPointsPerChunk ?? DEFAULT_MAX_POINTS_PER_CHUNK,
    initialChunkHours: Math.max(1, Math.min(maxChunkHours, settings.initialChunkHours ?? 1)),
    maxChunkHours,
    prefetch: settings.prefetch ?? true,
    lookaheadSeconds,
  };
}

/**
 * One sample sequence from several series of the same entity (its labels changed, or two scrape
 * jobs report it): per timestamp the largest value, since they count the same thing.
 */
function mergeSameEntity(list: readonly RangeSeries[]): {
  times: Float64Array;
  values: Float64Array;
} {
  if (list.length === 1) {
    const only = list[0] as RangeSeries;
    return { times: only.times, values: only.values };
  }
  const byTime = new Map<number, number>();
  for (const item of list) {
    for (let index = 0; index < item.times.length; index++) {
      const time = item.times[index] as number;
      const value = item.values[index] as number;
      const known = byTime.get(time);
      if (known === undefined || value > known) byTime.set(time, value);
    }
  }
  const times = Float64Array.from([...byTime.keys()].sort((a, b) => a - b));
  const values = times.map((time) => byTime.get(time) as number);
  return { times, values };
}

/** For each hour, the label set of the series with the most samples in it (ties: the later one). */
function dominantLabels(
  list: readonly RangeSeries[],
  stepSeconds: number,
): Map<number, Record<string, string>> {
  const best = new Map<number, { count: number; metric: Record<string, string> }>();
  for (const item of list) {
    const counts = new Map<number, number>();
    for (let index = 0; index < item.times.length; index++) {
      const hour = hourOfInterval(item.times[index] as number, stepSeconds);
      counts.set(hour, (counts.get(hour) ?? 0) + 1);
    }
    for (const [hour, count] of counts) {
      const known = best.get(hour);
      if (known === undefined || count >= known.count)
        best.set(hour, { count, metric: item.metric });
    }
  }
  return new Map([...best].map(([hour, { metric }]) => [hour, metric]));
}

function setLabel(
  labels: EntityLabels,
  key: 'project' | 'machine' | 'owner',
  value: string | undefined,
): void {
  if (value !== undefined && value !== '') labels[key] = value;
}

/** Counter options of a fetch. */
function counterOptionsOf(tuning: Tuning): CounterOptions {
  return {
    stepSeconds: tuning.stepSeconds,
    stalenessSeconds: tuning.stalenessSeconds,
    maxGapSeconds: tuning.maxGapSeconds,
  };
}

/** Adds an hour's steps to its chunk's quality: sampled of expected (covered or missing). */
function noteQuality(quality: ChunkQuality, hour: StepHour): void {
  quality.sampledSteps += hour.sampledSteps;
  quality.expectedSteps += hour.coveredSteps + hour.missingSteps;
}

function coverageOf(coveredSteps: number, stepSeconds: number): number {
  return Math.min(1, (coveredSteps * stepSeconds) / HOUR_SECONDS);
}

function countPoints(series: readonly RangeSeries[]): number {
  let points = 0;
  for (const item of series) points += item.times.length;
  return points;
}

function seconds(date: Date): number {
  return date.getTime() / 1000;
}
