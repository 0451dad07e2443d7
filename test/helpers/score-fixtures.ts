/**
 * OpenMetrics test data for `carbonctl score`: one day, `SCORE_FROM` (Monday 2025-03-03 00:00
 * UTC) to `SCORE_TO`, plus an hour of pre-roll, with usage constant or constant within aligned
 * 5-minute blocks, so every dimension can be computed by hand. cAdvisor and node_exporter are
 * scraped every 60 s, kube-state-metrics every 120 s.
 *
 * Kubernetes (one replica each, container `app`):
 * - `shop/web` Deployment: CPU 0.5 of a 1-core request; memory 512Mi of 1Gi.
 * - `shop/api` Deployment with a HorizontalPodAutoscaler, and `shop/search` without one: CPU
 *   0.1 cores in 23 of every 24 five-minute blocks and 0.4 in the 24th (block 23 of each 2-hour
 *   period, in its second hour), of a 0.5-core request; memory 128Mi of 256Mi.
 * - `shop/cache` Deployment: CPU 0.2 of 0.25; memory 768Mi of 1Gi; restarted at 06:00 and 12:00.
 * - `idle/legacy` Deployment, alone in its namespace: CPU 0.005 of 1 core; memory 64Mi of 256Mi.
 * - `etl/nightly` CronJob: a Job pod 14:00–16:00 at 1 core (request 0.5 core).
 * - `etl/cleanup` CronJob: a Job pod 00:00–01:00 at 1 core (request 0.5 core).
 *
 * node_exporter (job="node"), the Kubernetes nodes and the `lab` workspaces alike:
 * - `node-a`, 4 CPUs, 50 % busy; `node-b`, 2 CPUs, 80 % busy; `idle-ws`, 2 CPUs, 0.5 % busy
 *   (0.3 s user, 0.6 s iowait, 59.1 s idle per CPU and minute).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { centi, labelText } from './prom-fixtures.js';

/** Start of the fixture's window: Monday 2025-03-03 00:00 UTC. */
export const SCORE_FROM = new Date('2025-03-03T00:00:00Z');
/** End of the window: a day later. */
export const SCORE_TO = new Date('2025-03-04T00:00:00Z');

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const STEP = 60;
const KSM_STEP = 120;
const HOUR = 3600;
const FROM_S = SCORE_FROM.getTime() / 1000;
const TO_S = SCORE_TO.getTime() / 1000;
const PRE_ROLL = HOUR;

/** Centiseconds of CPU per minute at a constant usage in cores. */
const perMinute = (cores: number): number => Math.round(cores * 6000);

/** The spiky pattern: 0.4 cores in block 23 of each 2-hour period of 5-minute blocks, else 0.1. */
function spikyCentis(time: number): number {
  return Math.ceil(time / 300) % 24 === 23 ? perMinute(0.4) : perMinute(0.1);
}

interface PodSpec {
  namespace: string;
  name: string;
  owner: { kind: 'ReplicaSet' | 'Job'; name: string };
  first: number;
  last: number;
  cpuCentis: (time: number) => number;
  cpuBaseCentis: number;
  memoryBytes: number;
  cpuRequestCores: number;
  memoryRequestBytes: number;
  restartsAt?: (time: number) => number;
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

function scenario(): { pods: PodSpec[]; parents: ParentSpec[] } {
  const pods: PodSpec[] = [];
  const parents: ParentSpec[] = [];
  const deployment = (
    namespace: string,
    name: string,
    spec: Pick<
      PodSpec,
      'cpuCentis' | 'memoryBytes' | 'cpuRequestCores' | 'memoryRequestBytes' | 'restartsAt'
    >,
  ): void => {
    const replicaSet = `${name}-6c9d8f7b5`;
    parents.push({
      metric: 'kube_replicaset_owner',
      namespace,
      child: replicaSet,
      ownerKind: 'Deployment',
      ownerName: name,
      first: FROM_S - PRE_ROLL,
      last: TO_S,
    });
    pods.push({
      namespace,
      name: `${replicaSet}-x7q2p`,
      owner: { kind: 'ReplicaSet', name: replicaSet },
      first: FROM_S - PRE_ROLL,
      last: TO_S,
      cpuBaseCentis: 9_876_500,
      ...spec,
    });
  };
  deployment('shop', 'web', {
    cpuCentis: () => perMinute(0.5),
    memoryBytes: 512 * MIB,
    cpuRequestCores: 1,
    memoryRequestBytes: GIB,
  });
  for (const name of ['api', 'search'])
    deployment('shop', name, {
      cpuCentis: spikyCentis,
      memoryBytes: 128 * MIB,
      cpuRequestCores: 0.5,
      memoryRequestBytes: 256 * MIB,
    });
  deployment('shop', 'cache', {
    cpuCentis: () => perMinute(0.2),
    memoryBytes: 768 * MIB,
    cpuRequestCores: 0.25,
    memoryRequestBytes: GIB,
    restartsAt: (time) => (time >= FROM_S + 12 * HOUR ? 2 : time >= FROM_S + 6 * HOUR ? 1 : 0),
  });
  deployment('idle', 'legacy', {
    cpuCentis: () => perMinute(0.005),
    memoryBytes: 64 * MIB,
    cpuRequestCores: 1,
    memoryRequestBytes: 256 * MIB,
  });
  const cronRun = (cronJob: string, startHour: number, hours: number): void => {
    const first = FROM_S + startHour * HOUR;
    const job = `${cronJob}-${29_031_840 + startHour * 60}`;
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
      name: `${job}-k4z9w`,
      owner: { kind: 'Job', name: job },
      first,
      last: first + hours * HOUR,
      cpuCentis: () => perMinute(1),
      cpuBaseCentis: 0,
      memoryBytes: 200 * MIB,
      cpuRequestCores: 0.5,
      memoryRequestBytes: 512 * MIB,
    });
  };
  cronRun('nightly', 14, 2);
  cronRun('cleanup', 0, 1);
  return { pods, parents };
}

const HOSTS = [
  { host: 'node-a', cpus: 4, modes: { user: 3000, iowait: 0, idle: 3000 } },
  { host: 'node-b', cpus: 2, modes: { user: 4800, iowait: 0, idle: 1200 } },
  { host: 'idle-ws', cpus: 2, modes: { user: 30, iowait: 60, idle: 5910 } },
];

function* times(first: number, last: number, step: number): Generator<number> {
  for (let time = Math.ceil(first / step) * step; time <= last; time += step) yield time;
}

/** Writes the scenario as one OpenMetrics file. */
export function writeScoreFixtureFile(path: string): void {
  const { pods, parents } = scenario();
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge'): void => {
    lines.push(`# HELP ${name} ${name}\n# TYPE ${name} ${type}\n`);
  };
  const sample = (series: string, value: string, time: number): void => {
    lines.push(`${series} ${value} ${time}\n`);
  };

  family('node_cpu_seconds', 'counter');
  for (const host of HOSTS) {
    for (let cpu = 0; cpu < host.cpus; cpu++) {
      for (const [mode, centisPerMinute] of Object.entries(host.modes)) {
        const series = `node_cpu_seconds_total{${labelText({ cloud_project_name: 'lab', cpu: String(cpu), instance: host.host, job: 'node', mode, owner: 'alice' })}}`;
        let counter = centisPerMinute * 28_800;
        for (const time of times(FROM_S - PRE_ROLL, TO_S, STEP)) {
          counter += centisPerMinute;
          sample(series, centi(counter), time);
        }
      }
    }
  }

  const cadvisor = (pod: PodSpec): Record<string, string> => ({
    container: 'app',
    id: `/kubepods/pod-${pod.name}/app`,
    job: 'kubelet',
    namespace: pod.namespace,
    pod: pod.name,
  });
  family('container_cpu_usage_seconds', 'counter');
  for (const pod of pods) {
    const series = `container_cpu_usage_seconds_total{${labelText({ ...cadvisor(pod), cpu: 'total' })}}`;
    let counter = pod.cpuBaseCentis;
    for (const time of times(pod.first, pod.last, STEP)) {
      if (time > pod.first) counter += pod.cpuCentis(time);
      sample(series, centi(counter), time);
    }
  }
  family('container_memory_working_set_bytes', 'gauge');
  for (const pod of pods) {
    const series = `container_memory_working_set_bytes{${labelText(cadvisor(pod))}}`;
    for (const time of times(pod.first, pod.last, STEP))
      sample(series, String(pod.memoryBytes), time);
  }

  const ksm = (pod: PodSpec, extra: Record<string, string>): Record<string, string> => ({
    job: 'kube-state-metrics',
    namespace: pod.namespace,
    pod: pod.name,
    uid: `uid-${pod.name}`,
    ...extra,
  });
  family('kube_pod_container_resource_requests', 'gauge');
  for (const pod of pods) {
    for (const [resource, unit, value] of [
      ['cpu', 'core', pod.cpuRequestCores],
      ['memory', 'byte', pod.memoryRequestBytes],
    ] as const) {
      const series = `kube_pod_container_resource_requests{${labelText(ksm(pod, { container: 'app', node: 'node-a', resource, unit }))}}`;
      for (const time of times(pod.first, pod.last, KSM_STEP)) sample(series, String(value), time);
    }
  }
  family('kube_pod_container_status_restarts', 'counter');
  for (const pod of pods) {
    const series = `kube_pod_container_status_restarts_total{${labelText(ksm(pod, { container: 'app' }))}}`;
    for (const time of times(pod.first, pod.last, KSM_STEP))
      sample(series, String(pod.restartsAt?.(time) ?? 0), time);
  }
  family('kube_pod_owner', 'gauge');
  for (const pod of pods) {
    const series = `kube_pod_owner{${labelText(ksm(pod, { owner_is_controller: 'true', owner_kind: pod.owner.kind, owner_name: pod.owner.name }))}}`;
    for (const time of times(pod.first, pod.last, KSM_STEP)) sample(series, '1', time);
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
      for (const time of times(parent.first, parent.last, KSM_STEP)) sample(series, '1', time);
    }
  }
  family('kube_horizontalpodautoscaler_info', 'gauge');
  const hpa = `kube_horizontalpodautoscaler_info{${labelText({
    horizontalpodautoscaler: 'api',
    job: 'kube-state-metrics',
    namespace: 'shop',
    scaletargetref_api_version: 'apps/v1',
    scaletargetref_kind: 'Deployment',
    scaletargetref_name: 'api',
  })}}`;
  for (const time of times(FROM_S - PRE_ROLL, TO_S, KSM_STEP)) sample(hpa, '1', time);
  lines.push('# EOF\n');

  const fd = openSync(path, 'w');
  try {
    writeSync(fd, lines.join(''));
  } finally {
    closeSync(fd);
  }
}
