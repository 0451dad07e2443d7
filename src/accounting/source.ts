/**
 * Which source a cluster is accounted as (SPEC §1.3 `source`): an explicit `--source` flag or
 * `source: nodes|pods` in the config; otherwise (`auto`) the decision stored in the ledger; and
 * only the first time, from the data in the window being metered — `pods` when cAdvisor
 * container metrics exist in it, `nodes` when node_exporter's do. The decision is stored and kept,
 * so a backfill of a past window or a run after a scrape outage never flips it silently; an
 * explicit source changes it and says so.
 */
import type { UsageSource } from '../core/usage.js';
import type { PrometheusClient } from '../providers/prometheus/client.js';
import type { ClusterSourceDecision, Ledger } from '../store/types.js';
import type { ClusterProfile } from './profile.js';

/** Where decisions are kept (the ledger). */
export type SourceStore = Pick<Ledger, 'storedClusterSource' | 'storeClusterSource'>;

/** What deciding needs. */
export interface SourceDeps {
  client: PrometheusClient;
  /** The ledger, when there is one; decisions are stored only when `persist` is true. */
  store: SourceStore | null;
  persist: boolean;
  now: Date;
  notice: (message: string) => void;
}

/** The decided source and how. */
export interface SourceChoice {
  source: UsageSource;
  decidedBy: ClusterSourceDecision['decidedBy'] | 'stored';
}

/** Decides (and when asked, stores) the source of a cluster for metering `window`. */
export async function decideSource(
  deps: SourceDeps,
  profile: ClusterProfile,
  window: { from: Date; to: Date },
  flag?: UsageSource,
  /** What to meter when nothing can be decided (no data either way), e.g. the kind a budget scope names. */
  preferred?: UsageSource,
): Promise<SourceChoice> {
  const name = profile.name ?? 'default';
  const stored = deps.store?.storedClusterSource(name) ?? null;
  const explicit: { source: UsageSource; by: 'flag' | 'config' } | null =
    flag !== undefined
      ? { source: flag, by: 'flag' }
      : profile.configuredSource !== 'auto'
        ? { source: profile.configuredSource, by: 'config' }
        : null;
  if (explicit !== null) {
    if (deps.persist && deps.store !== null && stored?.source !== explicit.source) {
      if (stored !== null) {
        deps.notice(
          `cluster ${name}: accounted as ${explicit.source} from now on (${explicit.by === 'flag' ? '--source' : 'source in the config'}); it was ${stored.source} (decided ${stored.decidedBy} on ${stored.decidedAt.toISOString()}).`,
        );
      }
      deps.store.storeClusterSource(name, {
        source: explicit.source,
        decidedBy: explicit.by,
        decidedAt: deps.now,
        window: null,
      });
    }
    return { source: explicit.source, decidedBy: explicit.by };
  }
  if (stored !== null) return { source: stored.source, decidedBy: 'stored' };

  const detected = await detectSourceInWindow(deps.client, window);
  if (detected === null) {
    // No data either way: nothing to meter, nothing to decide (or store) yet.
    return { source: preferred ?? 'nodes', decidedBy: 'auto' };
  }
  if (deps.persist && deps.store !== null) {
    deps.store.storeClusterSource(name, {
      source: detected,
      decidedBy: 'auto',
      decidedAt: deps.now,
      window,
    });
    deps.notice(
      `cluster ${name}: source auto decided ${detected} from the data between ${window.from.toISOString()} and ${window.to.toISOString()}; kept from now on (set "source" in the config to change it).`,
    );
  }
  return { source: detected, decidedBy: 'auto' };
}

/** The source a cluster is known to be accounted as without asking Prometheus: configured, else stored, else null. */
export function knownSource(
  profile: ClusterProfile,
  store: SourceStore | null,
): UsageSource | null {
  if (profile.configuredSource !== 'auto') return profile.configuredSource;
  return store?.storedClusterSource(profile.name ?? 'default')?.source ?? null;
}

/**
 * `pods` when cAdvisor container CPU series have samples anywhere in `[from, to)`, `nodes` when
 * node_exporter's do, null when neither has.
 */
export async function detectSourceInWindow(
  client: PrometheusClient,
  window: { from: Date; to: Date },
): Promise<UsageSource | null> {
  const { detectSource } = await import('../providers/prometheus/usage.js');
  return detectSource(client, window);
}
