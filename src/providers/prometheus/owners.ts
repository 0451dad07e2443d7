/**
 * Owner references from kube-state-metrics (`kube_pod_owner`, `kube_replicaset_owner`,
 * `kube_job_owner`), read once for `track`, `clusters` and `recommendations` so they roll pods up
 * to the same workloads (core/clusters.ts `podWorkload`).
 */
import type { OwnerReferences } from '../../core/clusters.js';
import type { VectorSample } from './client.js';

/** `namespace/child` → its owner; `controller` records whether the reference is the controller. */
export type OwnerMap = Map<string, { kind: string; name: string; controller: boolean }>;

/** Owner references that can keep learning (e.g. chunk after chunk of a backfill). */
export interface OwnerState extends OwnerReferences {
  pods: OwnerMap;
  replicaSets: OwnerMap;
  jobs: OwnerMap;
}

/** Adds the owner references of `samples` (children named by `childLabel`) to `into`. */
export function learnOwnerMap(
  into: OwnerMap,
  samples: readonly VectorSample[],
  childLabel: string,
): void {
  for (const { metric } of samples) {
    const { namespace, owner_kind: kind, owner_name: name } = metric;
    const child = metric[childLabel];
    if (namespace === undefined || child === undefined || kind === undefined || name === undefined)
      continue;
    // kube-state-metrics reports "no owner" as owner_kind="<none>".
    if (kind === '' || kind === '<none>' || name === '' || name === '<none>') continue;
    const controller = metric['owner_is_controller'] === 'true';
    const key = `${namespace}/${child}`;
    const known = into.get(key);
    // The controller reference wins over other owner references.
    if (known === undefined || (controller && !known.controller))
      into.set(key, { kind, name, controller });
  }
}

/** No owner references yet. */
export function emptyOwners(): OwnerState {
  return { pods: new Map(), replicaSets: new Map(), jobs: new Map() };
}

/** Adds the answers of the three owner queries to `into`. */
export function learnOwners(
  into: OwnerState,
  podOwners: readonly VectorSample[],
  replicaSetOwners: readonly VectorSample[],
  jobOwners: readonly VectorSample[],
): void {
  learnOwnerMap(into.pods, podOwners, 'pod');
  learnOwnerMap(into.replicaSets, replicaSetOwners, 'replicaset');
  learnOwnerMap(into.jobs, jobOwners, 'job_name');
}

/** The owner references of the three owner queries' answers. */
export function ownerReferences(
  podOwners: readonly VectorSample[],
  replicaSetOwners: readonly VectorSample[],
  jobOwners: readonly VectorSample[],
): OwnerState {
  const owners = emptyOwners();
  learnOwners(owners, podOwners, replicaSetOwners, jobOwners);
  return owners;
}
