/**
 * Which workloads a HorizontalPodAutoscaler targets, from kube-state-metrics'
 * `kube_horizontalpodautoscaler_info` (labels `scaletargetref_kind`, `scaletargetref_name`,
 * kube-state-metrics ≥ 2.0), over a window: an autoscaler that existed at any time in it counts.
 * Without the metric the answer is empty (no autoscalers known), never an error.
 */
import type { PrometheusClient } from './client.js';
import { rangeMs } from './promql.js';

/** `namespace/Kind/name` keys of the workloads an autoscaler targeted in `[from, to)`. */
export async function fetchAutoscaledWorkloads(
  client: PrometheusClient,
  window: { from: Date; to: Date },
): Promise<Set<string>> {
  const range = rangeMs(Math.max(1, window.to.getTime() - window.from.getTime() - 1));
  const samples = await client.vectorQuery(
    `max by (namespace, scaletargetref_kind, scaletargetref_name) (max_over_time(kube_horizontalpodautoscaler_info[${range}]))`,
    window.to,
  );
  const keys = new Set<string>();
  for (const sample of samples) {
    const { namespace, scaletargetref_kind: kind, scaletargetref_name: name } = sample.metric;
    if (namespace && kind && name) keys.add(autoscalerKey(namespace, kind, name));
  }
  return keys;
}

/** The key {@link fetchAutoscaledWorkloads} uses for a workload. */
export function autoscalerKey(namespace: string, kind: string, name: string): string {
  return JSON.stringify([namespace, kind, name]);
}
