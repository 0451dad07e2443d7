/**
 * A deterministic generator of Prometheus test data in OpenMetrics text (the input of
 * `promtool tsdb create-blocks-from openmetrics`, reference/prometheus.md §6), together with the
 * truth it knows by construction: busy/idle/reserved core-seconds and memory GiB-hours per entity
 * and UTC hour.
 *
 * Scenarios (with `scenarios: true`, the default):
 * - node_exporter workspaces with several CPUs and modes user/system/iowait/idle, labelled
 *   cloud_project_name/machine_name/owner/instance, job="node"; one reboots (counter reset after a
 *   2¼-minute outage), one is switched off for over two hours (an hour with no samples at all),
 *   one is created mid-window, one deleted, one changes owner at 20 past an hour, one has a
 *   machine name with quotes and a backslash; two miss scrapes while their counters keep running
 *   (across the window start, and across an hour boundary); plus a `job="decoy"` host that the
 *   `job="node"` selector must exclude.
 * - cAdvisor containers, including the pod-level `container=""` cgroup, the `container="POD"`
 *   pause container and the root cgroup, which must all be ignored; working-set memory.
 * - kube-state-metrics requests, `kube_pod_owner`, `kube_replicaset_owner`, `kube_job_owner`:
 *   a Deployment rollout (ReplicaSet renamed), a StatefulSet, 20-minute CI Job pods starting
 *   mid-hour (one across an hour boundary) whose requests stay reported 30 minutes after they
 *   completed, a CronJob's pod, and a bare pod without requests.
 *
 * Truth conventions (the same as `src/core/counters.ts`): the step ending at sample time t covers
 * `(t − step, t]` and belongs to the hour containing `t − step`; a series that was already running
 * when its data starts contributes from its second sample; one that starts (boot, new container)
 * contributes its first sample's value; after a restart within the staleness window the outage's
 * steps count as covered, after a longer one they do not.
 *
 * Sizes are parameters (`nodes`, `hours`, `cpusPerNode`, `nodeModes`, `scrapeIntervalSeconds`,
 * `extraDeployments`) so a benchmark can ask for 1,000 workspaces × 30 days. Output is generated
 * time slice by time slice (`sliceHours`), each slice a complete OpenMetrics document, with
 * per-step values from a hash of (entity, step): memory and disk stay bounded by one slice.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { EntityHourUsage, EntityLabels } from '../../src/core/usage.js';

/** Where fixture data starts unless told otherwise: a fixed past Monday, 00:00 UTC. */
export const FIXTURE_START = new Date('2025-01-06T00:00:00Z');

/** Generator parameters; every field has a default. */
export interface PromFixtureOptions {
  /** Seed of all pseudo-random values (default 1). */
  seed?: number;
  /** First hour of the truth window; must be a whole UTC hour (default {@link FIXTURE_START}). */
  start?: Date;
  /** Length of the truth window in hours (default 6; scenarios need at least 6). */
  hours?: number;
  /** cAdvisor and node_exporter scrape interval, seconds; divides 3600 (default 15). */
  scrapeIntervalSeconds?: number;
  /** kube-state-metrics scrape interval, seconds; a multiple of the above (default ~30). */
  ksmScrapeIntervalSeconds?: number;
  /** Data before `start` for series that already exist (default 900). */
  preRollSeconds?: number;
  /** The staleness window the fetch will use, for the coverage truth (default 300). */
  stalenessSeconds?: number;
  /** Number of node_exporter workspaces (default 7; scenarios use the first 6). */
  nodes?: number;
  /** CPUs per workspace (default: 2 and 4 alternately). */
  cpusPerNode?: number;
  /** node_cpu_seconds_total modes; must include `idle` and one busy mode (default user, system, iowait, idle). */
  nodeModes?: readonly string[];
  /** Modes the truth counts as idle (default idle, iowait). */
  idleModes?: readonly string[];
  /** Include the scenarios listed above (default true). */
  scenarios?: boolean;
  /** Include Kubernetes pods at all (default true). */
  pods?: boolean;
  /** Additional steady two-replica Deployments in namespace `load` (default 0). */
  extraDeployments?: number;
  /** Split the text into documents of this many hours each (default: one document). */
  sliceHours?: number;
}

/** Names the tests refer to, so they do not hard-code what the generator chose. */
export interface PromFixtureScenario {
  normalHost: string;
  specialMachineHost: string;
  specialMachineName: string;
  /** Misses the scrapes from 02:59:45 to 03:00:15 (counters running). */
  outageAcrossHourHost: string;
  rebootHost: string;
  /** Hour containing the reboot's 135-second outage. */
  rebootHour: Date;
  offlineHost: string;
  /** Hours in which the offline host has no sample at all. */
  offlineHours: Date[];
  newHost: string;
  deletedHost: string;
  /** Exporter unreachable from 3 minutes before the window start to 30 s after it, counters running. */
  outageAcrossStartHost: string;
  relabelledHost: string;
  ownerBefore: string;
  ownerAfter: string;
  /** Hour from which the relabelled host carries `ownerAfter` (it changes at 20 past, so the hour is mostly the new owner's). */
  relabelHour: Date;
  decoyHost: string;
  /** `namespace/pod` of the Deployment's pods, before (first two) and after the rollout. */
  rolloutPods: string[];
  ciPods: string[];
  /** CPU request of each CI pod, cores. */
  ciRequestCores: number;
  cronPod: string;
  barePod: string;
}

/** The generated data's window, truth and scenario names. */
export interface PromFixture {
  start: Date;
  end: Date;
  stepSeconds: number;
  stalenessSeconds: number;
  /** Expected rows, sorted by source, entity and hour; hours without samples are absent. */
  truth: EntityHourUsage[];
  /** Present when `scenarios` is on. */
  scenario: PromFixtureScenario | null;
  /** Number of sample lines written. */
  sampleCount: number;
  /** Number of OpenMetrics documents (time slices) written. */
  slices: number;
}

const HOUR = 3600;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

interface NodeRun {
  first: number;
  last: number;
  /**
   * `uptime`: running before its first sample (which is only a base); `boot`: counters start at 0
   * one step before `first`; `resume`: scrapes resume after an outage, counters kept running.
   */
  kind: 'uptime' | 'boot' | 'resume';
}

interface NodeSpec {
  index: number;
  host: string;
  project: string;
  machine: string;
  cpus: number;
  job: string;
  load: number;
  runs: NodeRun[];
  /** Owner label per time range (a relabel splits the series). */
  owners: Array<{ owner: string; from: number; to: number }>;
  inTruth: boolean;
}

interface ContainerSpec {
  name: string;
  image: string;
  requestCores: number | null;
  rateCores: number;
  memoryBytes: number;
}

interface PodSpec {
  index: number;
  namespace: string;
  name: string;
  uid: string;
  node: string;
  ownerKind: string | null;
  ownerName: string | null;
  first: number;
  last: number;
  preExisting: boolean;
  ksmFrom: number;
  ksmTo: number;
  containers: ContainerSpec[];
}

interface ParentSpec {
  metric: 'kube_replicaset_owner' | 'kube_job_owner';
  namespace: string;
  child: string;
  ownerKind: string;
  ownerName: string;
  from: number;
  to: number;
}

/** Buffered output of the current slice, in ~1 MB pieces. */
class Output {
  private parts: string[] = [];
  private size = 0;
  lines = 0;
  slice = 0;

  constructor(private readonly sink: (text: string, slice: number) => void) {}

  line(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  }

  sample(prefix: string, value: string, time: number): void {
    this.line(`${prefix} ${value} ${time}\n`);
    this.lines++;
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.sink(this.parts.join(''), this.slice);
    this.parts = [];
    this.size = 0;
  }
}

/**
 * Generates the fixture, streaming OpenMetrics text to `write` (with the slice it belongs to),
 * calling `onSliceEnd` after each complete slice, and returns the truth.
 */
export function generatePromFixture(
  options: PromFixtureOptions,
  write: (text: string, slice: number) => void,
  onSliceEnd?: (slice: number) => void,
): PromFixture {
  const seed = options.seed ?? 1;
  const startDate = options.start ?? FIXTURE_START;
  const start = startDate.getTime() / 1000;
  if (start % HOUR !== 0) throw new Error('fixture start must be a whole UTC hour');
  const hours = options.hours ?? 6;
  const step = options.scrapeIntervalSeconds ?? 15;
  if (!Number.isInteger(step) || HOUR % step !== 0)
    throw new Error('scrape interval must divide an hour');
  const ksmStep = options.ksmScrapeIntervalSeconds ?? step * Math.ceil(30 / step);
  if (ksmStep % step !== 0)
    throw new Error('the kube-state-metrics interval must be a multiple of the scrape interval');
  const preRoll = Math.ceil((options.preRollSeconds ?? 900) / ksmStep) * ksmStep;
  const staleness = options.stalenessSeconds ?? 300;
  const scenarios = options.scenarios ?? true;
  const end = start + hours * HOUR;
  const gridStart = start - preRoll;
  const nodeModes = options.nodeModes ?? ['user', 'system', 'iowait', 'idle'];
  const idleModes = new Set(options.idleModes ?? ['idle', 'iowait']);
  if (
    !nodeModes.includes('idle') ||
    !nodeModes.some((mode) => mode !== 'idle' && mode !== 'iowait')
  ) {
    throw new Error('nodeModes must include idle and at least one busy mode');
  }
  if (scenarios && hours < 6) throw new Error('scenarios need at least 6 hours');
  const nodeCount = options.nodes ?? 7;
  if (scenarios && nodeCount < 6) throw new Error('scenarios need at least 6 nodes');
  const sliceSeconds = (options.sliceHours ?? Infinity) * HOUR;
  const slices = Number.isFinite(sliceSeconds)
    ? Math.max(1, Math.ceil((end - start) / sliceSeconds))
    : 1;

  const random = (a: number, b: number, c: number, d: number): number => hashUnit(seed, a, b, c, d);
  // Scenario times are given for a 15 s grid; with a coarser scrape interval they snap to it.
  const at = (offsetSeconds: number): number => start + Math.round(offsetSeconds / step) * step;
  const hourOf = (time: number): number => Math.floor((time - step) / HOUR) * HOUR;
  const inWindow = (hour: number): boolean => hour >= start && hour < end;
  const truth = new Map<string, EntityHourUsage>();
  const truthRow = (
    source: 'nodes' | 'pods',
    entityId: string,
    hour: number,
    labels: EntityLabels,
  ): EntityHourUsage => {
    const key = `${source}\u0000${entityId}\u0000${hour}`;
    let row = truth.get(key);
    if (row === undefined) {
      row = {
        source,
        entityId,
        hourStart: new Date(hour * 1000),
        busySeconds: 0,
        idleSeconds: 0,
        reservedCoreSeconds: source === 'pods' ? 0 : null,
        memoryGiBHours: 0,
        labels,
        coverage: 0,
        gapInterpolated: false,
      };
      truth.set(key, row);
    }
    return row;
  };

  // ------------------------------------------------------------------ workspaces (node_exporter)
  const nodes: NodeSpec[] = [];
  for (let index = 0; index < nodeCount; index++) {
    nodes.push({
      index,
      host: `ws-${String(index).padStart(4, '0')}.lab.example:9100`,
      project: `proj-${['alpha', 'beta', 'gamma'][index % 3]}`,
      machine: `m-${String(index).padStart(4, '0')}`,
      cpus: options.cpusPerNode ?? (index % 2 === 0 ? 2 : 4),
      job: 'node',
      load: 0.05 + 0.6 * random(index, 0, 0, 1),
      runs: [{ first: gridStart, last: end, kind: 'uptime' }],
      owners: [{ owner: `aa${String(100000 + index)}`, from: gridStart, to: end }],
      inTruth: true,
    });
  }
  let scenario: PromFixtureScenario | null = null;
  if (scenarios) {
    const [special, reboot, offline, created, deleted, relabelled] = nodes as [
      NodeSpec,
      NodeSpec,
      NodeSpec,
      NodeSpec,
      NodeSpec,
      NodeSpec,
    ];
    special.machine = 'gpu "big" \\ box';
    // Three scrapes missed around 03:00 (02:59:45-03:00:15), counters running: the increase is
    // spread over the hour boundary, which a fetch chunked by the hour must not lose.
    special.runs = [
      { first: gridStart, last: at(3 * HOUR - 30), kind: 'uptime' },
      { first: at(3 * HOUR + 30), last: end, kind: 'resume' },
    ];
    // Reboot: last sample 01:20:00, back 135 s later with counters restarted (< staleness).
    reboot.runs = [
      { first: gridStart, last: at(HOUR + 20 * 60), kind: 'uptime' },
      { first: at(HOUR + 20 * 60 + 135), last: end, kind: 'boot' },
    ];
    // Switched off after 02:10:00, booted 04:30:00 (first sample 04:30:15): 03:00-04:00 has no samples.
    offline.runs = [
      { first: gridStart, last: at(2 * HOUR + 10 * 60), kind: 'uptime' },
      { first: at(4 * HOUR + 30 * 60 + step), last: end, kind: 'boot' },
    ];
    created.runs = [{ first: at(HOUR + 40 * 60 + step), last: end, kind: 'boot' }];
    // Deleted after 05:00; before that, its exporter was unreachable from 23:57:00 to 00:00:30
    // (no samples, counters kept running): the outage spans the window start.
    deleted.runs = [
      { first: gridStart, last: at(-180), kind: 'uptime' },
      { first: at(30), last: at(5 * HOUR), kind: 'resume' },
    ];
    const ownerBefore = (relabelled.owners[0] as { owner: string }).owner;
    const ownerAfter = 'zz999999';
    // Reassigned at 03:20: hour 3 has 80 samples with the old owner, 160 with the new one.
    relabelled.owners = [
      { owner: ownerBefore, from: gridStart, to: at(3 * HOUR + 20 * 60) },
      { owner: ownerAfter, from: at(3 * HOUR + 20 * 60) + step, to: end },
    ];
    const decoy: NodeSpec = {
      index: nodeCount,
      host: 'decoy-1.lab.example:9100',
      project: 'proj-alpha',
      machine: 'decoy',
      cpus: 2,
      job: 'decoy',
      load: 0.9,
      runs: [{ first: gridStart, last: end, kind: 'uptime' }],
      owners: [{ owner: 'decoy', from: gridStart, to: end }],
      inTruth: false,
    };
    nodes.push(decoy);
    scenario = {
      normalHost: (nodes[6] ?? special).host,
      specialMachineHost: special.host,
      specialMachineName: special.machine,
      outageAcrossHourHost: special.host,
      rebootHost: reboot.host,
      rebootHour: new Date(at(HOUR) * 1000),
      offlineHost: offline.host,
      offlineHours: [new Date(at(3 * HOUR) * 1000)],
      newHost: created.host,
      deletedHost: deleted.host,
      outageAcrossStartHost: deleted.host,
      relabelledHost: relabelled.host,
      ownerBefore,
      ownerAfter,
      relabelHour: new Date(at(3 * HOUR) * 1000),
      decoyHost: decoy.host,
      rolloutPods: [],
      ciPods: [],
      ciRequestCores: 2,
      cronPod: '',
      barePod: '',
    };
  }
  /** Labels of the hour containing the step ending at `time`: the owner with the most steps in that hour (ties: the later). */
  const nodeLabelsAt = (node: NodeSpec, time: number): EntityLabels => {
    const hour = hourOf(time);
    let best = node.owners[0] as { owner: string };
    let bestSteps = -1;
    for (const range of node.owners) {
      const first = Math.max(range.from, hour + step);
      const last = Math.min(range.to, hour + HOUR);
      const steps = last < first ? 0 : Math.floor((last - first) / step) + 1;
      if (steps >= bestSteps) {
        best = range;
        bestSteps = steps;
      }
    }
    return { host: node.host, project: node.project, machine: node.machine, owner: best.owner };
  };
  // Steps of an outage before a restart book nothing and are not covered (SPEC §2: usage before a
  // reset is unknowable); only the restarted sample's own step counts, from 0.

  const modeCount = nodeModes.length;
  const busyModes = nodeModes.filter((mode) => mode !== 'idle' && mode !== 'iowait');
  const userIndex = nodeModes.indexOf('user');
  const systemIndex = nodeModes.indexOf('system');
  const iowaitIndex = nodeModes.indexOf('iowait');
  const idleIndex = nodeModes.indexOf('idle');
  const soleBusyIndex = nodeModes.indexOf(
    busyModes.includes('user') ? 'user' : (busyModes[0] as string),
  );
  const isIdleMode = nodeModes.map((mode) => idleModes.has(mode));
  const nodePrefixes = nodes.map((node) =>
    Array.from({ length: node.cpus }, (_, cpu) =>
      nodeModes.map((mode) =>
        node.owners.map(
          (owner) =>
            `node_cpu_seconds_total{${labelText({
              cloud_project_name: node.project,
              cpu: String(cpu),
              instance: node.host,
              job: node.job,
              machine_name: node.machine,
              mode,
              owner: owner.owner,
            })}}`,
        ),
      ),
    ),
  );
  /** Counter of each (node, cpu, mode), carried from slice to slice. */
  const nodeCounters = nodes.map((node) =>
    Array.from({ length: node.cpus }, () => new Float64Array(modeCount)),
  );

  /** One CPU's centiseconds per mode in the step ending at `time` (they sum to the step), into `into[offset…]`. */
  const cpuSplitInto = (
    node: NodeSpec,
    cpu: number,
    time: number,
    into: Int32Array,
    offset: number,
  ): void => {
    const stepIndex = time / step;
    const hourOfDay = (time / HOUR) % 24;
    const diurnal = 0.5 + 0.5 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
    const busyFraction = Math.min(
      0.95,
      node.load * (0.4 + diurnal) * (0.7 + 0.6 * random(node.index, cpu, stepIndex, 2)),
    );
    const total = step * 100;
    const busy = Math.floor(total * busyFraction);
    const iowait =
      iowaitIndex >= 0 ? Math.floor(total * 0.02 * random(node.index, cpu, stepIndex, 3)) : 0;
    if (userIndex >= 0 && systemIndex >= 0) {
      const user = Math.floor(busy * 0.7);
      into[offset + userIndex] = user;
      into[offset + systemIndex] = busy - user;
    } else {
      into[offset + soleBusyIndex] = busy;
    }
    if (iowaitIndex >= 0) into[offset + iowaitIndex] = iowait;
    into[offset + idleIndex] = total - busy - iowait;
  };
  /** Counter value at the first sample of a workspace that was already up: 15-25 days of uptime. */
  const uptimeBase = (node: NodeSpec, cpu: number, mode: string): number => {
    const uptimeCs = Math.floor((15 + 10 * random(node.index, cpu, 0, 4)) * 86_400 * 100);
    const share = mode === 'idle' ? 0.8 : mode === 'user' ? 0.12 : mode === 'system' ? 0.06 : 0.02;
    return Math.floor(uptimeCs * share);
  };

  /**
   * Sample kinds per step of a slice: 0 none, 1 base (already running), 2 counted, 3 first after a
   * boot, 4 running but not scraped (outage before a resume), 5 first after a resume.
   */
  const nodeSampleKinds = (node: NodeSpec, lo: number, steps: number): Uint8Array => {
    const kinds = new Uint8Array(steps);
    const sliceEnd = lo + steps * step;
    node.runs.forEach((run, runIndex) => {
      if (run.kind === 'resume') {
        const previous = node.runs[runIndex - 1] as NodeRun;
        for (
          let time = Math.max(lo, previous.last + step);
          time < run.first && time < sliceEnd;
          time += step
        )
          kinds[(time - lo) / step] = 4;
      }
      for (let time = Math.max(lo, run.first); time <= run.last && time < sliceEnd; time += step) {
        kinds[(time - lo) / step] =
          time !== run.first ? 2 : run.kind === 'uptime' ? 1 : run.kind === 'boot' ? 3 : 5;
      }
    });
    return kinds;
  };

  const emitNodes = (out: Output, lo: number, hi: number): void => {
    const steps = (hi - lo) / step + 1;
    out.line(
      '# HELP node_cpu_seconds Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds counter\n',
    );
    const split = new Int32Array(steps * modeCount);
    const values = new Float64Array(steps);
    const busy = new Float64Array(steps);
    const idle = new Float64Array(steps);
    for (const node of nodes) {
      const kinds = nodeSampleKinds(node, lo, steps);
      busy.fill(0);
      idle.fill(0);
      for (let cpu = 0; cpu < node.cpus; cpu++) {
        split.fill(0);
        for (let index = 0; index < steps; index++) {
          const kind = kinds[index] as number;
          if (kind < 2) continue;
          const offset = index * modeCount;
          cpuSplitInto(node, cpu, lo + index * step, split, offset);
          for (let mode = 0; mode < modeCount; mode++) {
            const centiseconds = split[offset + mode] as number;
            if (isIdleMode[mode]) idle[index] = (idle[index] as number) + centiseconds;
            else busy[index] = (busy[index] as number) + centiseconds;
          }
        }
        const counters = (nodeCounters[node.index] as Float64Array[])[cpu] as Float64Array;
        for (let mode = 0; mode < modeCount; mode++) {
          let counter = counters[mode] as number;
          for (let index = 0; index < steps; index++) {
            const kind = kinds[index] as number;
            if (kind === 1) counter = uptimeBase(node, cpu, nodeModes[mode] as string);
            else if (kind === 3) counter = split[index * modeCount + mode] as number;
            else if (kind === 2) counter += split[index * modeCount + mode] as number;
            else if (kind >= 4) counter += split[index * modeCount + mode] as number;
            values[index] = kind === 0 || kind === 4 ? Number.NaN : counter;
          }
          counters[mode] = counter;
          node.owners.forEach((owner, ownerIndex) => {
            const prefix = ((nodePrefixes[node.index] as string[][][])[cpu] as string[][])[mode]?.[
              ownerIndex
            ] as string;
            for (let index = 0; index < steps; index++) {
              const time = lo + index * step;
              const value = values[index] as number;
              if (!Number.isNaN(value) && time >= owner.from && time <= owner.to)
                out.sample(prefix, centi(value), time);
            }
          });
        }
      }
      if (!node.inTruth) continue;
      for (let index = 0; index < steps; index++) {
        // Outage steps and the resume sample are spread evenly: see `resumeTruth`.
        const kind = kinds[index] as number;
        if (kind < 2 || kind >= 4) continue;
        const time = lo + index * step;
        const hour = hourOf(time);
        if (!inWindow(hour)) continue;
        const row = truthRow('nodes', node.host, hour, nodeLabelsAt(node, time));
        row.busySeconds += (busy[index] as number) / 100;
        row.idleSeconds += (idle[index] as number) / 100;
        row.coverage += step / HOUR;
      }
    }
  };

  // ------------------------------------------------------------------ pods (cAdvisor + KSM)
  const pods: PodSpec[] = [];
  const parents: ParentSpec[] = [];
  const ksmAlignDown = (time: number): number => Math.floor(time / ksmStep) * ksmStep;
  const addPod = (spec: {
    namespace: string;
    name: string;
    ownerKind: string | null;
    ownerName: string | null;
    first: number | null;
    last: number;
    ksmLinger: number;
    containers: ContainerSpec[];
  }): string => {
    const index = pods.length;
    const first = spec.first ?? gridStart;
    pods.push({
      index,
      namespace: spec.namespace,
      name: spec.name,
      uid: `00000000-aaaa-bbbb-cccc-${String(index).padStart(12, '0')}`,
      node: index % 2 === 0 ? 'node-a' : 'node-b',
      ownerKind: spec.ownerKind,
      ownerName: spec.ownerName,
      first,
      last: spec.last,
      preExisting: spec.first === null,
      ksmFrom: spec.first === null ? gridStart : Math.max(gridStart, ksmAlignDown(first - 45)),
      ksmTo: Math.min(end, spec.last + spec.ksmLinger),
      containers: spec.containers,
    });
    return `${spec.namespace}/${spec.name}`;
  };
  const webContainers: ContainerSpec[] = [
    {
      name: 'app',
      image: 'registry.example/web:1.4.2',
      requestCores: 0.5,
      rateCores: 0.3,
      memoryBytes: 300 * MIB,
    },
    {
      name: 'envoy',
      image: 'envoyproxy/envoy:v1.31',
      requestCores: 0.1,
      rateCores: 0.02,
      memoryBytes: 60 * MIB,
    },
  ];
  if ((options.pods ?? true) && scenario !== null) {
    const oldReplicaSet = 'web-5d9c7b8f4';
    const newReplicaSet = 'web-6f8d9c7b5';
    for (const suffix of ['x7k2p', 'q9z4m']) {
      scenario.rolloutPods.push(
        addPod({
          namespace: 'shop',
          name: `${oldReplicaSet}-${suffix}`,
          ownerKind: 'ReplicaSet',
          ownerName: oldReplicaSet,
          first: null,
          last: at(3 * HOUR + 5 * 60),
          ksmLinger: 30,
          containers: webContainers,
        }),
      );
    }
    for (const suffix of ['a1b2c', 'd3e4f']) {
      scenario.rolloutPods.push(
        addPod({
          namespace: 'shop',
          name: `${newReplicaSet}-${suffix}`,
          ownerKind: 'ReplicaSet',
          ownerName: newReplicaSet,
          first: at(3 * HOUR + step),
          last: end,
          ksmLinger: 0,
          containers: webContainers,
        }),
      );
    }
    parents.push(
      {
        metric: 'kube_replicaset_owner',
        namespace: 'shop',
        child: oldReplicaSet,
        ownerKind: 'Deployment',
        ownerName: 'web',
        from: gridStart,
        to: end,
      },
      {
        metric: 'kube_replicaset_owner',
        namespace: 'shop',
        child: newReplicaSet,
        ownerKind: 'Deployment',
        ownerName: 'web',
        from: ksmAlignDown(at(3 * HOUR - 60)),
        to: end,
      },
    );
    addPod({
      namespace: 'shop',
      name: 'db-0',
      ownerKind: 'StatefulSet',
      ownerName: 'db',
      first: null,
      last: end,
      ksmLinger: 0,
      containers: [
        {
          name: 'postgres',
          image: 'postgres:16',
          requestCores: 1,
          rateCores: 0.4,
          memoryBytes: 2 * GIB,
        },
      ],
    });
    // 20-minute CI jobs (80 samples each) starting mid-hour; build-102 spans 01:50-02:10.
    const ciStarts: Array<[string, string, number]> = [
      ['build-101', 'h7d9k', at(37 * 60)],
      ['build-102', 'k2j4x', at(HOUR + 50 * 60)],
      ['build-103', 'p8q1w', at(2 * HOUR + 5 * 60 + 30)],
      ['build-104', 'z3n5v', at(4 * HOUR + 41 * 60)],
    ];
    for (const [job, suffix, startedAt] of ciStarts) {
      scenario.ciPods.push(
        addPod({
          namespace: 'ci',
          name: `${job}-${suffix}`,
          ownerKind: 'Job',
          ownerName: job,
          first: startedAt + step,
          last: startedAt + 20 * 60,
          ksmLinger: 30 * 60,
          containers: [
            {
              name: 'build',
              image: 'registry.example/ci-runner:5',
              requestCores: scenario.ciRequestCores,
              rateCores: 1.5,
              memoryBytes: 1.5 * GIB,
            },
          ],
        }),
      );
      parents.push({
        metric: 'kube_job_owner',
        namespace: 'ci',
        child: job,
        ownerKind: '<none>',
        ownerName: '<none>',
        from: ksmAlignDown(startedAt - 60),
        to: end,
      });
    }
    const cronJob = 'nightly-28934400';
    scenario.cronPod = addPod({
      namespace: 'batch',
      name: `${cronJob}-zx8qv`,
      ownerKind: 'Job',
      ownerName: cronJob,
      first: at(2 * HOUR + step),
      last: at(3 * HOUR + 30 * 60),
      ksmLinger: 30 * 60,
      containers: [
        {
          name: 'worker',
          image: 'registry.example/etl:2',
          requestCores: 1,
          rateCores: 0.8,
          memoryBytes: 3 * GIB,
        },
        {
          name: 'istio-proxy',
          image: 'istio/proxyv2:1.22',
          requestCores: 0.1,
          rateCores: 0.01,
          memoryBytes: 80 * MIB,
        },
      ],
    });
    parents.push({
      metric: 'kube_job_owner',
      namespace: 'batch',
      child: cronJob,
      ownerKind: 'CronJob',
      ownerName: 'nightly',
      from: ksmAlignDown(at(2 * HOUR - 60)),
      to: end,
    });
    scenario.barePod = addPod({
      namespace: 'default',
      name: 'debug-shell',
      ownerKind: null,
      ownerName: null,
      first: at(HOUR + 10 * 60 + step),
      last: at(HOUR + 40 * 60),
      ksmLinger: 30,
      containers: [
        {
          name: 'shell',
          image: 'busybox:1.36',
          requestCores: null,
          rateCores: 0.01,
          memoryBytes: 4 * MIB,
        },
      ],
    });
  }
  if (options.pods ?? true) {
    for (let deployment = 0; deployment < (options.extraDeployments ?? 0); deployment++) {
      const replicaSet = `app-${deployment}-7c6d5b9f8`;
      for (const suffix of ['aaaaa', 'bbbbb']) {
        addPod({
          namespace: 'load',
          name: `${replicaSet}-${suffix}`,
          ownerKind: 'ReplicaSet',
          ownerName: replicaSet,
          first: null,
          last: end,
          ksmLinger: 0,
          containers: [webContainers[0] as ContainerSpec],
        });
      }
      parents.push({
        metric: 'kube_replicaset_owner',
        namespace: 'load',
        child: replicaSet,
        ownerKind: 'Deployment',
        ownerName: `app-${deployment}`,
        from: gridStart,
        to: end,
      });
    }
  }

  /** CPU microseconds of one container in the step ending at `time`. */
  const containerCpu = (pod: PodSpec, containerIndex: number, time: number): number =>
    Math.floor(
      (pod.containers[containerIndex] as ContainerSpec).rateCores *
        step *
        1e6 *
        (0.6 + 0.8 * random(1000 + pod.index, containerIndex, time / step, 5)),
    );
  const containerMemory = (pod: PodSpec, containerIndex: number, time: number): number =>
    Math.floor(
      (pod.containers[containerIndex] as ContainerSpec).memoryBytes *
        (0.9 + 0.2 * random(1000 + pod.index, containerIndex, time / step, 6)),
    );
  /** Counter at the first sample: about a day of use for a pod that was already running, else 0. */
  const containerBase = (pod: PodSpec, containerIndex: number): number =>
    pod.preExisting
      ? Math.floor(
          (pod.containers[containerIndex] as ContainerSpec).rateCores *
            86_400 *
            1e6 *
            (1 + random(pod.index, containerIndex, 0, 7)),
        )
      : 0;
  /** Whether the step ending at `time` adds to the counters (not the base sample of an already running pod). */
  const counts = (pod: PodSpec, time: number): boolean => !(pod.preExisting && time === pod.first);
  const workloadOf = (pod: PodSpec): { kind: string; name: string } => {
    if (pod.ownerKind === null || pod.ownerName === null) return { kind: 'Pod', name: pod.name };
    const parent = parents.find(
      (candidate) => candidate.namespace === pod.namespace && candidate.child === pod.ownerName,
    );
    if (parent === undefined || parent.ownerKind === '<none>')
      return { kind: pod.ownerKind, name: pod.ownerName };
    return { kind: parent.ownerKind, name: parent.ownerName };
  };
  const cadvisorLabels = (pod: PodSpec, extra: Record<string, string>): Record<string, string> => ({
    instance: pod.node,
    job: 'kubelet',
    namespace: pod.namespace,
    pod: pod.name,
    ...extra,
  });
  const containerId = (pod: PodSpec, containerIndex: number): string =>
    `/kubepods/burstable/pod${pod.uid}/c${pod.index}x${containerIndex}`;
  /** Counters carried from slice to slice: per container, then the pod cgroup, then the pause container. */
  const podCounters = pods.map((pod) => new Float64Array(pod.containers.length + 2));
  const rootCounters = [9e12, 9.5e12];

  const emitPods = (out: Output, lo: number, hi: number): void => {
    const within = (pod: PodSpec): [number, number] | null => {
      const from = Math.max(lo, pod.first);
      const to = Math.min(hi, pod.last);
      return from > to ? null : [from, to];
    };
    out.line(
      '# HELP container_cpu_usage_seconds Cumulative cpu time consumed in seconds.\n# TYPE container_cpu_usage_seconds counter\n',
    );
    for (const pod of pods) {
      const range = within(pod);
      if (range === null) continue;
      const counters = podCounters[pod.index] as Float64Array;
      const containerCount = pod.containers.length;
      pod.containers.forEach((container, containerIndex) => {
        const prefix = `container_cpu_usage_seconds_total{${labelText(cadvisorLabels(pod, { container: container.name, cpu: 'total', id: containerId(pod, containerIndex), image: container.image, name: `c${pod.index}x${containerIndex}` }))}}`;
        let counter = counters[containerIndex] as number;
        for (let time = range[0]; time <= range[1]; time += step) {
          if (time === pod.first) counter = containerBase(pod, containerIndex);
          if (counts(pod, time)) counter += containerCpu(pod, containerIndex, time);
          out.sample(prefix, micro(counter), time);
        }
        counters[containerIndex] = counter;
      });
      // The pod cgroup (all containers plus overhead) and the pause container: counting either would inflate the pod.
      const podPrefix = `container_cpu_usage_seconds_total{${labelText(cadvisorLabels(pod, { container: '', cpu: 'total', id: `/kubepods/burstable/pod${pod.uid}`, image: '', name: '' }))}}`;
      const pausePrefix = `container_cpu_usage_seconds_total{${labelText(cadvisorLabels(pod, { container: 'POD', cpu: 'total', id: `/kubepods/burstable/pod${pod.uid}/pause`, image: 'registry.k8s.io/pause:3.9', name: 'pause' }))}}`;
      let podCounter = counters[containerCount] as number;
      for (let time = range[0]; time <= range[1]; time += step) {
        if (time === pod.first)
          podCounter = pod.containers.reduce(
            (sum, _, containerIndex) => sum + containerBase(pod, containerIndex),
            5_000_000,
          );
        if (counts(pod, time))
          podCounter +=
            3000 +
            pod.containers.reduce(
              (sum, _, containerIndex) => sum + containerCpu(pod, containerIndex, time),
              0,
            );
        out.sample(podPrefix, micro(podCounter), time);
      }
      counters[containerCount] = podCounter;
      let pauseCounter = counters[containerCount + 1] as number;
      for (let time = range[0]; time <= range[1]; time += step) {
        if (time === pod.first) pauseCounter = pod.preExisting ? 40_000_000 : 0;
        if (counts(pod, time)) pauseCounter += 2000;
        out.sample(pausePrefix, micro(pauseCounter), time);
      }
      counters[containerCount + 1] = pauseCounter;
    }
    if (pods.length > 0) {
      // The root cgroup of each node: no pod, container="".
      ['node-a', 'node-b'].forEach((node, nodeIndex) => {
        const prefix = `container_cpu_usage_seconds_total{${labelText({ container: '', cpu: 'total', id: '/', image: '', instance: node, job: 'kubelet', name: '' })}}`;
        let counter = rootCounters[nodeIndex] as number;
        for (let time = lo; time <= hi; time += step) {
          counter += 4 * step * 1e6;
          out.sample(prefix, micro(counter), time);
        }
        rootCounters[nodeIndex] = counter;
      });
    }

    out.line(
      '# HELP container_memory_working_set_bytes Current working set in bytes.\n# TYPE container_memory_working_set_bytes gauge\n',
    );
    for (const pod of pods) {
      const range = within(pod);
      if (range === null) continue;
      pod.containers.forEach((container, containerIndex) => {
        const prefix = `container_memory_working_set_bytes{${labelText(cadvisorLabels(pod, { container: container.name, id: containerId(pod, containerIndex), image: container.image, name: `c${pod.index}x${containerIndex}` }))}}`;
        for (let time = range[0]; time <= range[1]; time += step)
          out.sample(prefix, String(containerMemory(pod, containerIndex, time)), time);
      });
      const podPrefix = `container_memory_working_set_bytes{${labelText(cadvisorLabels(pod, { container: '', id: `/kubepods/burstable/pod${pod.uid}`, image: '', name: '' }))}}`;
      const pausePrefix = `container_memory_working_set_bytes{${labelText(cadvisorLabels(pod, { container: 'POD', id: `/kubepods/burstable/pod${pod.uid}/pause`, image: 'registry.k8s.io/pause:3.9', name: 'pause' }))}}`;
      for (let time = range[0]; time <= range[1]; time += step) {
        const sum = pod.containers.reduce(
          (total, _, containerIndex) => total + containerMemory(pod, containerIndex, time),
          0,
        );
        out.sample(podPrefix, String(sum + 8 * MIB), time);
      }
      for (let time = range[0]; time <= range[1]; time += step)
        out.sample(pausePrefix, String(MIB), time);
    }

    const ksmTimes = function* (from: number, to: number): Generator<number> {
      for (
        let time = Math.ceil(Math.max(from, lo) / ksmStep) * ksmStep;
        time <= Math.min(to, hi);
        time += ksmStep
      )
        yield time;
    };
    out.line(
      '# HELP kube_pod_container_resource_requests The number of requested request resource by a container.\n# TYPE kube_pod_container_resource_requests gauge\n',
    );
    for (const pod of pods) {
      for (const container of pod.containers) {
        if (container.requestCores === null) continue;
        const base = {
          container: container.name,
          namespace: pod.namespace,
          node: pod.node,
          pod: pod.name,
          uid: pod.uid,
        };
        const cpuPrefix = `kube_pod_container_resource_requests{${labelText({ ...base, resource: 'cpu', unit: 'core' })}}`;
        const memoryPrefix = `kube_pod_container_resource_requests{${labelText({ ...base, resource: 'memory', unit: 'byte' })}}`;
        for (const time of ksmTimes(pod.ksmFrom, pod.ksmTo))
          out.sample(cpuPrefix, String(container.requestCores), time);
        for (const time of ksmTimes(pod.ksmFrom, pod.ksmTo))
          out.sample(memoryPrefix, String(container.memoryBytes), time);
      }
    }
    out.line(
      "# HELP kube_pod_owner Information about the Pod's owner.\n# TYPE kube_pod_owner gauge\n",
    );
    for (const pod of pods) {
      const prefix = `kube_pod_owner{${labelText({
        namespace: pod.namespace,
        owner_is_controller: pod.ownerKind === null ? '<none>' : 'true',
        owner_kind: pod.ownerKind ?? '<none>',
        owner_name: pod.ownerName ?? '<none>',
        pod: pod.name,
        uid: pod.uid,
      })}}`;
      for (const time of ksmTimes(pod.ksmFrom, pod.ksmTo)) out.sample(prefix, '1', time);
    }
    for (const metric of ['kube_replicaset_owner', 'kube_job_owner'] as const) {
      const childLabel = metric === 'kube_replicaset_owner' ? 'replicaset' : 'job_name';
      out.line(`# HELP ${metric} Information about the owner.\n# TYPE ${metric} gauge\n`);
      for (const parent of parents.filter((candidate) => candidate.metric === metric)) {
        const prefix = `${metric}{${labelText({
          namespace: parent.namespace,
          owner_is_controller: parent.ownerKind === '<none>' ? '<none>' : 'true',
          owner_kind: parent.ownerKind,
          owner_name: parent.ownerName,
          [childLabel]: parent.child,
        })}}`;
        for (const time of ksmTimes(parent.from, parent.to)) out.sample(prefix, '1', time);
      }
    }

    // Truth: the pod ran during the steps its containers were sampled.
    for (const pod of pods) {
      const range = within(pod);
      if (range === null) continue;
      const workload = workloadOf(pod);
      const labels: EntityLabels = {
        namespace: pod.namespace,
        pod: pod.name,
        workload: workload.name,
        workloadKind: workload.kind,
      };
      const requestCores = pod.containers.reduce(
        (sum, container) => sum + (container.requestCores ?? 0),
        0,
      );
      for (let time = range[0]; time <= range[1]; time += step) {
        const hour = hourOf(time);
        if (!counts(pod, time) || !inWindow(hour)) continue;
        const row = truthRow('pods', `${pod.namespace}/${pod.name}`, hour, labels);
        let busyMicros = 0;
        let memoryBytes = 0;
        pod.containers.forEach((_, containerIndex) => {
          busyMicros += containerCpu(pod, containerIndex, time);
          memoryBytes += containerMemory(pod, containerIndex, time);
        });
        row.busySeconds += busyMicros / 1e6;
        row.reservedCoreSeconds = (row.reservedCoreSeconds ?? 0) + requestCores * step;
        row.memoryGiBHours += (memoryBytes * step) / HOUR / GIB;
        row.coverage += step / HOUR;
      }
    }
  };

  /**
   * After an outage without a reset (up to `maxGapHours`), the increase since the last sample is
   * spread evenly over the outage's steps and flagged (core/counters.ts): the truth does the same.
   */
  const resumeTruth = (): void => {
    const split = new Int32Array(modeCount);
    for (const node of nodes) {
      if (!node.inTruth) continue;
      node.runs.forEach((run, runIndex) => {
        if (run.kind !== 'resume') return;
        const previous = node.runs[runIndex - 1] as NodeRun;
        if (run.first - previous.last > staleness)
          throw new Error('a resume must follow an outage shorter than the staleness window');
        let busyCentiseconds = 0;
        let idleCentiseconds = 0;
        for (let time = previous.last + step; time <= run.first; time += step) {
          for (let cpu = 0; cpu < node.cpus; cpu++) {
            cpuSplitInto(node, cpu, time, split, 0);
            for (let mode = 0; mode < modeCount; mode++) {
              if (isIdleMode[mode]) idleCentiseconds += split[mode] as number;
              else busyCentiseconds += split[mode] as number;
            }
          }
        }
        const stepsInOutage = (run.first - previous.last) / step;
        for (let time = previous.last + step; time <= run.first; time += step) {
          if (!inWindow(hourOf(time))) continue;
          const row = truthRow('nodes', node.host, hourOf(time), nodeLabelsAt(node, time));
          row.busySeconds += busyCentiseconds / stepsInOutage / 100;
          row.idleSeconds += idleCentiseconds / stepsInOutage / 100;
          // Interpolated across the gap (SPEC §2): flagged; only the resuming sample's step is sampled.
          row.gapInterpolated = true;
          if (time === run.first) row.coverage += step / HOUR;
        }
      });
    }
  };
  resumeTruth();

  // ------------------------------------------------------------------ slice by slice
  const out = new Output(write);
  for (let slice = 0; slice < slices; slice++) {
    // Slice boundaries are relative to the window; the pre-roll joins the first, the final sample the last.
    const lo = slice === 0 ? gridStart : start + slice * sliceSeconds;
    const hi = slice === slices - 1 ? end : start + (slice + 1) * sliceSeconds - step;
    out.slice = slice;
    emitNodes(out, lo, hi);
    emitPods(out, lo, hi);
    out.line('# EOF\n');
    out.flush();
    onSliceEnd?.(slice);
  }

  const rows = [...truth.values()].sort(
    (a, b) =>
      a.source.localeCompare(b.source) ||
      (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0) ||
      a.hourStart.getTime() - b.hourStart.getTime(),
  );
  for (const row of rows) {
    if (row.source === 'pods')
      row.idleSeconds = Math.max(0, (row.reservedCoreSeconds ?? 0) - row.busySeconds);
    // Sums of step/3600 accumulate rounding; coverage is a count of steps.
    row.coverage = Math.min(1, (Math.round((row.coverage * HOUR) / step) * step) / HOUR);
  }
  return {
    start: startDate,
    end: new Date(end * 1000),
    stepSeconds: step,
    stalenessSeconds: staleness,
    truth: rows,
    scenario,
    sampleCount: out.lines,
    slices,
  };
}

/**
 * Generates the fixture into files (synchronously, in 1 MB pieces): `path` itself, or with
 * `sliceHours`, `path` with `.0`, `.1`, … inserted before the extension, one per slice.
 * `onFile` is called as soon as a file is complete (e.g. to backfill and delete it).
 */
export function writePromFixtureFiles(
  path: string,
  options: PromFixtureOptions = {},
  onFile?: (file: string, slice: number) => void,
): { files: string[]; fixture: PromFixture } {
  const sliced = options.sliceHours !== undefined;
  const fileOf = (slice: number): string =>
    sliced ? path.replace(/(\.[^./]*)?$/, (extension) => `.${slice}${extension}`) : path;
  const files: string[] = [];
  let current: { slice: number; fd: number } | null = null;
  try {
    const fixture = generatePromFixture(
      options,
      (text, slice) => {
        if (current === null || current.slice !== slice) {
          current = { slice, fd: openSync(fileOf(slice), 'w') };
          files.push(fileOf(slice));
        }
        writeSync(current.fd, text);
      },
      (slice) => {
        if (current !== null) closeSync(current.fd);
        current = null;
        onFile?.(fileOf(slice), slice);
      },
    );
    return { files, fixture };
  } finally {
    const open = current as { fd: number } | null;
    if (open !== null) closeSync(open.fd);
  }
}

/** Generates the fixture into one file and returns its truth. */
export function writePromFixtureFile(path: string, options: PromFixtureOptions = {}): PromFixture {
  const { sliceHours: _ignored, ...single } = options;
  return writePromFixtureFiles(path, single).fixture;
}

/** Generates the fixture into a string (small fixtures only). */
export function generatePromFixtureText(options: PromFixtureOptions = {}): {
  text: string;
  fixture: PromFixture;
} {
  const parts: string[] = [];
  const { sliceHours: _ignored, ...single } = options;
  const fixture = generatePromFixture(single, (text) => parts.push(text));
  return { text: parts.join(''), fixture };
}

/** `a="x",b="y"` sorted by name, with OpenMetrics escaping (`\\`, `\"`, `\n`). */
export function labelText(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map(
      (name) =>
        `${name}="${(labels[name] as string).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

/** Centiseconds as seconds with two decimals, exactly. */
export function centi(centiseconds: number): string {
  const whole = Math.floor(centiseconds / 100);
  return `${whole}.${String(centiseconds - whole * 100).padStart(2, '0')}`;
}

/** Microseconds as seconds with six decimals, exactly. */
function micro(microseconds: number): string {
  const whole = Math.floor(microseconds / 1e6);
  return `${whole}.${String(microseconds - whole * 1e6).padStart(6, '0')}`;
}

/** A uniform number in [0, 1) from a seed and four integers (murmur3 finaliser mixing). */
function hashUnit(seed: number, a: number, b: number, c: number, d: number): number {
  let hash = (seed ^ 0x9e3779b9) >>> 0;
  for (const part of [a, b, c, d]) {
    hash = Math.imul(hash ^ (part >>> 0), 0x85ebca6b);
    hash ^= Math.floor(part / 4294967296);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
  }
  return (hash >>> 0) / 4294967296;
}
