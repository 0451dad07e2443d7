/**
 * OpenMetrics test data for the recommendation engine (SPEC §8), engineered so that each
 * recommendation type fires exactly where it should, with numbers that can be computed by hand.
 * One week, `REC_FROM` (a Monday, 00:00 UTC) to `REC_TO`, plus an hour of pre-roll so every rate
 * and increase at the window start has data. cAdvisor and node_exporter are scraped every 60 s,
 * kube-state-metrics every 120 s.
 *
 * Usage is constant within aligned 5-minute blocks, so a `rate(…[5m])` evaluated on the 5-minute
 * subquery grid returns the block's value exactly (on Prometheus 2.x and 3.x alike), and
 * percentiles follow from counting blocks.
 *
 * Kubernetes (namespaces shop, etl, ci):
 * - `shop/web` Deployment, 2 replicas, container `app`: CPU request 2 cores; usage per 5-minute
 *   block 0.30 cores (21 of every 24 blocks), 0.42 (2 of 24) and 0.60 (1 of 24), so over the week's
 *   2016 points p50 = 0.30, p95 = 0.42, p99 = max = 0.60; memory request 1Gi, working set 300Mi;
 *   limits CPU 1 core, memory 400Mi. A sidecar `proxy` in the same pods: CPU 0.07 of 100m
 *   (limit 200m), memory 50Mi of 64Mi (limit 128Mi) — sized right, so no finding of its own.
 *   One pod also has the pod-level cgroup (`container=""`) and pause (`container="POD"`) series,
 *   which must be ignored (so do the CI pods below, where the per-pod hourly sums would double).
 * - `shop/api` Deployment, correctly sized: CPU 0.40 of 500m, memory 400Mi of 512Mi.
 * - `shop/cache` Deployment: CPU 0.20 of 250m (fine); memory 500Mi of 4Gi; restarted once,
 *   OOM-killed, three days in.
 * - `shop/legacy` Deployment: 5m of a 1-core request (0.5 %); memory 100Mi of 256Mi.
 * - `ci/runner-manager` Deployment: CPU 0.09 of 100m, memory 100Mi of 128Mi — long-running, not
 *   batch, and correctly sized.
 * - `etl/nightly-report` CronJob: a Job pod every day 14:00–16:00 UTC at 1.5 cores.
 * - `etl/midnight-cleanup` CronJob: a Job pod every day 00:00–01:00 UTC at 1 core (the cleanest hour).
 * - bare CI pods `ci/runner-<day>` Monday–Friday 18:00–19:00 UTC at 2 cores.
 *
 * node_exporter (job="node", plus a job="decoy" host the selector must exclude):
 * - `idle-ws`, 2 CPUs: per CPU and minute 0.3 s user, 0.6 s iowait, 59.1 s idle → 0.5 % busy.
 * - `busy-ws`, 1 CPU: 30 s user, 30 s idle per minute → 50 % busy.
 * - `decoy-ws`, job="decoy", 1 CPU, fully idle.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { centi, labelText } from './prom-fixtures.js';

/** Start of the fixture's analysis window: Monday 2025-03-03 00:00 UTC. */
export const REC_FROM = new Date('2025-03-03T00:00:00Z');
/** End of the window: one week later. */
export const REC_TO = new Date('2025-03-10T00:00:00Z');

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const STEP = 60;
const KSM_STEP = 120;
const HOUR = 3600;
const DAY = 86_400;
const FROM_S = REC_FROM.getTime() / 1000;
const TO_S = REC_TO.getTime() / 1000;
const PRE_ROLL = HOUR;

/** Centiseconds of CPU per minute for a constant usage in cores (0.3 cores → 1800). */
const perMinute = (cores: number): number => Math.round(cores * 6000);

/** `shop/web` usage in the 5-minute block ending at or after `time` (see the file comment). */
function webUsageCentis(time: number): number {
  const block = Math.ceil(time / 300) % 24;
  if (block === 23) return perMinute(0.6);
  if (block === 18 || block === 19) return perMinute(0.42);
  return perMinute(0.3);
}

interface PodSpec {
  namespace: string;
  name: string;
  uid: string;
  container: string;
  /** Owner as `kube_pod_owner` reports it; null = a bare pod (`<none>`). */
  owner: { kind: string; name: string } | null;
  /** First and last sample times (seconds). */
  first: number;
  last: number;
  /** CPU centiseconds added in the minute ending at `time`. */
  cpuCentis: (time: number) => number;
  /** Counter value at the first sample, centiseconds (a new container starts at 0). */
  cpuBaseCentis: number;
  memoryBytes: number;
  cpuRequestCores: number;
  memoryRequestBytes: number;
  /** Restart count by time, and whether the last termination was an OOM kill. */
  restartsAt?: (time: number) => number;
  oomKilledFrom?: number;
  /** Emit the pod cgroup and pause-container series too. */
  withPodCgroup?: boolean;
  /** Limits of the main container (`kube_pod_container_resource_limits`). */
  limits?: { cpuCores: number; memoryBytes: number };
  /** A second container in the same pod, constant usage. */
  sidecar?: {
    container: string;
    cpuCores: number;
    memoryBytes: number;
    cpuRequestCores: number;
    memoryRequestBytes: number;
    limits: { cpuCores: number; memoryBytes: number };
  };
}

interface ParentSpec {
  metric: 'kube_replicaset_owner' | 'kube_job_owner';
  namespace: string;
  child: string;
  ownerKind: string;
  ownerName: string;
  first: number;
  last: number;
}

interface HostSpec {
  host: string;
  job: string;
  cpus: number;
  /** Centiseconds per minute per CPU and mode. */
  modes: Record<string, number>;
}

/** The pods, parents and hosts of the scenario (exported for tests that want names). */
export function recScenario(): { pods: PodSpec[]; parents: ParentSpec[]; hosts: HostSpec[] } {
  const longFirst = FROM_S - PRE_ROLL;
  const pods: PodSpec[] = [];
  const parents: ParentSpec[] = [];
  const deployment = (
    namespace: string,
    name: string,
    replicas: number,
    spec: Pick<PodSpec, 'cpuCentis' | 'memoryBytes' | 'cpuRequestCores' | 'memoryRequestBytes'> &
      Partial<PodSpec>,
  ): void => {
    const replicaSet = `${name}-5d8f7c9b6`;
    parents.push({
      metric: 'kube_replicaset_owner',
      namespace,
      child: replicaSet,
      ownerKind: 'Deployment',
      ownerName: name,
      first: longFirst,
      last: TO_S,
    });
    for (let index = 0; index < replicas; index++) {
      pods.push({
        namespace,
        name: `${replicaSet}-${'abcdefgh'[index]}x${index}q`,
        uid: `uid-${namespace}-${name}-${index}`,
        container: 'app',
        owner: { kind: 'ReplicaSet', name: replicaSet },
        first: longFirst,
        last: TO_S,
        cpuBaseCentis: 12_345_600,
        ...spec,
        ...(index === 0 ? {} : { withPodCgroup: false }),
      });
    }
  };
  deployment('shop', 'web', 2, {
    cpuCentis: webUsageCentis,
    memoryBytes: 300 * MIB,
    cpuRequestCores: 2,
    memoryRequestBytes: GIB,
    withPodCgroup: true,
    limits: { cpuCores: 1, memoryBytes: 400 * MIB },
    sidecar: {
      container: 'proxy',
      cpuCores: 0.07,
      memoryBytes: 50 * MIB,
      cpuRequestCores: 0.1,
      memoryRequestBytes: 64 * MIB,
      limits: { cpuCores: 0.2, memoryBytes: 128 * MIB },
    },
  });
  deployment('shop', 'api', 1, {
    cpuCentis: () => perMinute(0.4),
    memoryBytes: 400 * MIB,
    cpuRequestCores: 0.5,
    memoryRequestBytes: 512 * MIB,
  });
  const oomAt = FROM_S + 3 * DAY;
  deployment('shop', 'cache', 1, {
    cpuCentis: () => perMinute(0.2),
    memoryBytes: 500 * MIB,
    cpuRequestCores: 0.25,
    memoryRequestBytes: 4 * GIB,
    restartsAt: (time) => (time >= oomAt ? 1 : 0),
    oomKilledFrom: oomAt,
  });
  deployment('shop', 'legacy', 1, {
    cpuCentis: () => perMinute(0.005),
    memoryBytes: 100 * MIB,
    cpuRequestCores: 1,
    memoryRequestBytes: 256 * MIB,
  });
  deployment('ci', 'runner-manager', 1, {
    cpuCentis: () => perMinute(0.09),
    memoryBytes: 100 * MIB,
    cpuRequestCores: 0.1,
    memoryRequestBytes: 128 * MIB,
  });

  const cronRun = (
    cronJob: string,
    day: number,
    startHour: number,
    hours: number,
    cores: number,
  ): void => {
    const first = FROM_S + day * DAY + startHour * HOUR;
    const job = `${cronJob}-${28_990_000 + day * 1440 + startHour * 60}`;
    parents.push({
      metric: 'kube_job_owner',
      namespace: 'etl',
      child: job,
      ownerKind: 'CronJob',
      ownerName: cronJob,
      first,
      last: first + hours * HOUR,
    });
    pods.push({
      namespace: 'etl',
      name: `${job}-k${day}z`,
      uid: `uid-${job}`,
      container: 'main',
      owner: { kind: 'Job', name: job },
      first,
      last: first + hours * HOUR,
      cpuCentis: () => perMinute(cores),
      cpuBaseCentis: 0,
      memoryBytes: 200 * MIB,
      cpuRequestCores: 2,
      memoryRequestBytes: 512 * MIB,
    });
  };
  for (let day = 0; day < 7; day++) {
    cronRun('nightly-report', day, 14, 2, 1.5);
    cronRun('midnight-cleanup', day, 0, 1, 1);
  }
  // Monday to Friday: CI runner pods without a controller.
  for (let day = 0; day < 5; day++) {
    const first = FROM_S + day * DAY + 18 * HOUR;
    pods.push({
      namespace: 'ci',
      name: `runner-${day}-build`,
      uid: `uid-runner-${day}`,
      container: 'build',
      owner: null,
      first,
      last: first + HOUR,
      cpuCentis: () => perMinute(2),
      cpuBaseCentis: 0,
      memoryBytes: 1 * GIB,
      cpuRequestCores: 2,
      memoryRequestBytes: 2 * GIB,
      withPodCgroup: true,
    });
  }

  const hosts: HostSpec[] = [
    { host: 'idle-ws', job: 'node', cpus: 2, modes: { user: 30, iowait: 60, idle: 5910 } },
    { host: 'busy-ws', job: 'node', cpus: 1, modes: { user: 3000, iowait: 0, idle: 3000 } },
    { host: 'decoy-ws', job: 'decoy', cpus: 1, modes: { user: 0, iowait: 0, idle: 6000 } },
  ];
  return { pods, parents, hosts };
}

/** Buffered writer of OpenMetrics lines. */
class Writer {
  private parts: string[] = [];
  private size = 0;
  lines = 0;
  constructor(private readonly fd: number) {}
  line(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  }
  sample(series: string, value: string, time: number): void {
    this.line(`${series} ${value} ${time}\n`);
    this.lines++;
  }
  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function* times(first: number, last: number, step: number): Generator<number> {
  for (let time = Math.ceil(first / step) * step; time <= last; time += step) yield time;
}

/** Writes the scenario as one OpenMetrics file; returns the number of samples written. */
export function writeRecFixtureFile(path: string): number {
  const { pods, parents, hosts } = recScenario();
  const fd = openSync(path, 'w');
  const out = new Writer(fd);
  try {
    const family = (name: string, type: 'counter' | 'gauge'): void =>
      out.line(`# HELP ${name} ${name}\n# TYPE ${name} ${type}\n`);

    family('node_cpu_seconds', 'counter');
    for (const host of hosts) {
      for (let cpu = 0; cpu < host.cpus; cpu++) {
        for (const [mode, centisPerMinute] of Object.entries(host.modes)) {
          const series = `node_cpu_seconds_total{${labelText({ cloud_project_name: 'lab', cpu: String(cpu), instance: host.host, job: host.job, mode, owner: 'alice' })}}`;
          // Up for 20 days before the data starts.
          let counter = centisPerMinute * 28_800;
          for (const time of times(FROM_S - PRE_ROLL, TO_S, STEP)) {
            counter += centisPerMinute;
            out.sample(series, centi(counter), time);
          }
        }
      }
    }

    const cadvisor = (pod: PodSpec, extra: Record<string, string>): Record<string, string> => ({
      endpoint: 'https-metrics',
      job: 'kubelet',
      metrics_path: '/metrics/cadvisor',
      namespace: pod.namespace,
      pod: pod.name,
      ...extra,
    });
    family('container_cpu_usage_seconds', 'counter');
    for (const pod of pods) {
      const series = `container_cpu_usage_seconds_total{${labelText(cadvisor(pod, { container: pod.container, cpu: 'total', id: `/kubepods/pod${pod.uid}/${pod.container}` }))}}`;
      let counter = pod.cpuBaseCentis;
      for (const time of times(pod.first, pod.last, STEP)) {
        if (time > pod.first) counter += pod.cpuCentis(time);
        out.sample(series, centi(counter), time);
      }
      if (pod.sidecar !== undefined) {
        const side = pod.sidecar;
        const sideSeries = `container_cpu_usage_seconds_total{${labelText(cadvisor(pod, { container: side.container, cpu: 'total', id: `/kubepods/pod${pod.uid}/${side.container}` }))}}`;
        let sideCounter = 5_000_000;
        for (const time of times(pod.first, pod.last, STEP)) {
          if (time > pod.first) sideCounter += perMinute(side.cpuCores);
          out.sample(sideSeries, centi(sideCounter), time);
        }
      }
      if (pod.withPodCgroup === true) {
        // Pod cgroup (all containers + overhead) and pause container: counting them would inflate usage.
        for (const [container, perMinuteExtra] of [
          ['', 6000],
          ['POD', 60],
        ] as const) {
          const podSeries = `container_cpu_usage_seconds_total{${labelText(cadvisor(pod, { container, cpu: 'total', id: `/kubepods/pod${pod.uid}${container === '' ? '' : '/pause'}` }))}}`;
          let podCounter = 0;
          for (const time of times(pod.first, pod.last, STEP)) {
            podCounter += pod.cpuCentis(time) + perMinuteExtra;
            out.sample(podSeries, centi(podCounter), time);
          }
        }
      }
    }
    family('container_memory_working_set_bytes', 'gauge');
    for (const pod of pods) {
      const series = `container_memory_working_set_bytes{${labelText(cadvisor(pod, { container: pod.container, id: `/kubepods/pod${pod.uid}/${pod.container}` }))}}`;
      for (const time of times(pod.first, pod.last, STEP))
        out.sample(series, String(pod.memoryBytes), time);
      if (pod.sidecar !== undefined) {
        const side = pod.sidecar;
        const sideSeries = `container_memory_working_set_bytes{${labelText(cadvisor(pod, { container: side.container, id: `/kubepods/pod${pod.uid}/${side.container}` }))}}`;
        for (const time of times(pod.first, pod.last, STEP))
          out.sample(sideSeries, String(side.memoryBytes), time);
      }
      if (pod.withPodCgroup === true) {
        const podSeries = `container_memory_working_set_bytes{${labelText(cadvisor(pod, { container: '', id: `/kubepods/pod${pod.uid}` }))}}`;
        for (const time of times(pod.first, pod.last, STEP))
          out.sample(podSeries, String(pod.memoryBytes * 8), time);
      }
    }

    const ksm = (pod: PodSpec, extra: Record<string, string>): Record<string, string> => ({
      job: 'kube-state-metrics',
      namespace: pod.namespace,
      pod: pod.name,
      uid: pod.uid,
      ...extra,
    });
    family('kube_pod_container_resource_requests', 'gauge');
    for (const pod of pods) {
      for (const [resource, unit, value] of [
        ['cpu', 'core', pod.cpuRequestCores],
        ['memory', 'byte', pod.memoryRequestBytes],
      ] as const) {
        const series = `kube_pod_container_resource_requests{${labelText(ksm(pod, { container: pod.container, node: 'node-a', resource, unit }))}}`;
        for (const time of times(pod.first, pod.last, KSM_STEP))
          out.sample(series, String(value), time);
      }
      if (pod.sidecar !== undefined) {
        for (const [resource, unit, value] of [
          ['cpu', 'core', pod.sidecar.cpuRequestCores],
          ['memory', 'byte', pod.sidecar.memoryRequestBytes],
        ] as const) {
          const series = `kube_pod_container_resource_requests{${labelText(ksm(pod, { container: pod.sidecar.container, node: 'node-a', resource, unit }))}}`;
          for (const time of times(pod.first, pod.last, KSM_STEP))
            out.sample(series, String(value), time);
        }
      }
    }
    family('kube_pod_container_resource_limits', 'gauge');
    for (const pod of pods) {
      const containers = [
        ...(pod.limits === undefined ? [] : [{ name: pod.container, limits: pod.limits }]),
        ...(pod.sidecar === undefined
          ? []
          : [{ name: pod.sidecar.container, limits: pod.sidecar.limits }]),
      ];
      for (const { name, limits } of containers) {
        for (const [resource, unit, value] of [
          ['cpu', 'core', limits.cpuCores],
          ['memory', 'byte', limits.memoryBytes],
        ] as const) {
          const series = `kube_pod_container_resource_limits{${labelText(ksm(pod, { container: name, node: 'node-a', resource, unit }))}}`;
          for (const time of times(pod.first, pod.last, KSM_STEP))
            out.sample(series, String(value), time);
        }
      }
    }
    family('kube_pod_container_status_restarts', 'counter');
    for (const pod of pods) {
      const series = `kube_pod_container_status_restarts_total{${labelText(ksm(pod, { container: pod.container }))}}`;
      for (const time of times(pod.first, pod.last, KSM_STEP))
        out.sample(series, String(pod.restartsAt?.(time) ?? 0), time);
      if (pod.sidecar !== undefined) {
        const sideSeries = `kube_pod_container_status_restarts_total{${labelText(ksm(pod, { container: pod.sidecar.container }))}}`;
        for (const time of times(pod.first, pod.last, KSM_STEP)) out.sample(sideSeries, '0', time);
      }
    }
    family('kube_pod_container_status_last_terminated_reason', 'gauge');
    for (const pod of pods) {
      if (pod.oomKilledFrom === undefined) continue;
      const series = `kube_pod_container_status_last_terminated_reason{${labelText(ksm(pod, { container: pod.container, reason: 'OOMKilled' }))}}`;
      for (const time of times(pod.oomKilledFrom, pod.last, KSM_STEP))
        out.sample(series, '1', time);
    }
    family('kube_pod_owner', 'gauge');
    for (const pod of pods) {
      const series = `kube_pod_owner{${labelText(
        ksm(pod, {
          owner_is_controller: pod.owner === null ? '<none>' : 'true',
          owner_kind: pod.owner?.kind ?? '<none>',
          owner_name: pod.owner?.name ?? '<none>',
        }),
      )}}`;
      for (const time of times(pod.first, pod.last, KSM_STEP)) out.sample(series, '1', time);
    }
    for (const metric of ['kube_replicaset_owner', 'kube_job_owner'] as const) {
      family(metric, 'gauge');
      const childLabel = metric === 'kube_replicaset_owner' ? 'replicaset' : 'job_name';
      for (const parent of parents.filter((candidate) => candidate.metric === metric)) {
        const series = `${metric}{${labelText({
          job: 'kube-state-metrics',
          namespace: parent.namespace,
          owner_is_controller: 'true',
          owner_kind: parent.ownerKind,
          owner_name: parent.ownerName,
          [childLabel]: parent.child,
        })}}`;
        for (const time of times(parent.first, parent.last, KSM_STEP))
          out.sample(series, '1', time);
      }
    }
    out.line('# EOF\n');
    out.flush();
    return out.lines;
  } finally {
    closeSync(fd);
  }
}
