/**
 * Per-cluster partial failure (SPEC: a dead source never stops the healthy ones): each cluster is
 * metered on its own; a data-source failure of one (unreachable, 5xx, refused credentials) is
 * reported on stderr and in the result, the others go on, and the command exits 3 at the end
 * naming the failed clusters.
 */
import type { ClusterSettings } from '../config/schema.js';
import { DataSourceError } from '../errors.js';

/** One cluster's outcome. */
export type ClusterOutcome<T> =
  | { cluster: ClusterSettings; ok: true; value: T }
  | { cluster: ClusterSettings; ok: false; error: DataSourceError };

/**
 * Runs `work` for each cluster in turn. A DataSourceError is caught, reported through `warn` and
 * recorded; any other error (a usage or config error, a bug) stops the run as before.
 */
export async function forEachCluster<T>(
  clusters: readonly ClusterSettings[],
  warn: (message: string) => void,
  work: (cluster: ClusterSettings) => Promise<T>,
): Promise<Array<ClusterOutcome<T>>> {
  const outcomes: Array<ClusterOutcome<T>> = [];
  for (const cluster of clusters) {
    try {
      outcomes.push({ cluster, ok: true, value: await work(cluster) });
    } catch (error) {
      if (!(error instanceof DataSourceError)) throw error;
      // With one cluster the final error says it all; with several, say it as it happens.
      if (clusters.length > 1)
        warn(
          `cluster ${cluster.name} failed: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
        );
      outcomes.push({ cluster, ok: false, error });
    }
  }
  return outcomes;
}

/** The exit-3 error naming every failed cluster, or undefined when all succeeded. */
export function failedClusters<T>(
  outcomes: ReadonlyArray<ClusterOutcome<T>>,
): DataSourceError | undefined {
  const failed = outcomes.filter(
    (outcome): outcome is Extract<ClusterOutcome<T>, { ok: false }> => !outcome.ok,
  );
  if (failed.length === 0) return undefined;
  if (failed.length === 1 && outcomes.length === 1)
    return (failed[0] as { error: DataSourceError }).error;
  return new DataSourceError(
    'Clusters',
    `${failed.length} of ${outcomes.length} failed: ${failed.map((outcome) => `${outcome.cluster.name} (${outcome.error.message})`).join('; ')}`,
    {
      hint: 'The other clusters were processed; fix the failed ones and run again (re-runs are idempotent).',
    },
  );
}

/** `status`/`error` fields for a cluster in JSON output. */
export function outcomeStatus<T>(outcome: ClusterOutcome<T>): {
  status: 'ok' | 'failed';
  error: string | null;
} {
  return outcome.ok
    ? { status: 'ok', error: null }
    : { status: 'failed', error: outcome.error.message };
}
