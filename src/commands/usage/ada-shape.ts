/**
 * `usage --by host --shape ada`: rows in Ada's per-workspace shape (`{workspace_id, hostname,
 * owner, cpu_usage{busy_seconds, idle_seconds, total_seconds}, energy_kwh{busy, idle, total},
 * carbon_gco2eq{busy, idle, total}, status}`). The ledger keeps each hour's total energy and
 * emissions; the busy/idle split is recomputed exactly from the hour's busy and idle seconds with
 * the factors it was priced with (busy s × busy W × PUE / 3.6e6, at that hour's intensity), so
 * a host must have been priced with one set of watts and PUE over the period.
 */
import { UsageError } from '../../errors.js';
import type { AggregateBucket, Ledger, LedgerFilter } from '../../store/types.js';

const HOUR_MS = 3_600_000;

/** One workspace in Ada's shape. */
export interface AdaWorkspaceRow {
  workspace_id: string;
  hostname: string;
  owner: string | null;
  cpu_usage: { busy_seconds: number; idle_seconds: number; total_seconds: number };
  energy_kwh: { busy: number; idle: number; total: number };
  carbon_gco2eq: { busy: number; idle: number; total: number };
  /** `tracked`, or `estimated` when any of its hours is (as `track` reports it). */
  status: 'tracked' | 'estimated';
}

/** Ada's per-workspace rows for the hosts of `filter` over `[from, to)`. */
export function adaWorkspaceRows(
  ledger: Ledger,
  filter: LedgerFilter & { from: Date; to: Date },
): AdaWorkspaceRow[] {
  const hours: AggregateBucket[] = [];
  for (
    let start = Math.floor(filter.from.getTime() / HOUR_MS) * HOUR_MS;
    start < filter.to.getTime();
    start += HOUR_MS
  )
    hours.push({ label: String(start), start: new Date(start), end: new Date(start + HOUR_MS) });
  const rows: AdaWorkspaceRow[] = [];
  for (const host of ledger.aggregate({
    filter: { ...filter, source: 'nodes' },
    groupBy: 'host',
  })) {
    if (host.group === null) continue;
    const hostFilter: LedgerFilter = { ...filter, source: 'nodes', host: host.group };
    const factors = new Map(
      ledger
        .provenanceSummary(hostFilter)
        .map((p) => [JSON.stringify([p.busyWattsPerCore, p.idleWattsPerCore, p.pue]), p]),
    );
    if (factors.size !== 1) {
      throw new UsageError(
        `--shape ada: host ${host.group} was priced with ${factors.size} different sets of watts and PUE in the period, so its busy/idle split is not one formula`,
        { hint: 'Narrow the period to one set of factors, or use the default shape.' },
      );
    }
    const [provenance] = [...factors.values()];
    const { busyWattsPerCore, idleWattsPerCore, pue } = provenance!;
    const split = { busyKwh: 0, idleKwh: 0, busyGrams: 0, idleGrams: 0 };
    for (const hour of ledger.aggregate({ filter: hostFilter, groupBy: 'none', buckets: hours })) {
      const busyKwh = (hour.busySeconds * busyWattsPerCore * pue) / 3.6e6;
      const idleKwh = (hour.idleSeconds * idleWattsPerCore * pue) / 3.6e6;
      // One entity's hour: Σ(E × I) / ΣE is that hour's intensity.
      const intensity = hour.energyKwh > 0 ? hour.intensityWeightedSum / hour.energyKwh : 0;
      split.busyKwh += busyKwh;
      split.idleKwh += idleKwh;
      split.busyGrams += busyKwh * intensity;
      split.idleGrams += idleKwh * intensity;
    }
    const owners = ledger
      .aggregate({ filter: hostFilter, groupBy: 'owner' })
      .filter((row) => row.group !== null)
      .sort((a, b) => b.rowCount - a.rowCount);
    rows.push({
      workspace_id: host.group,
      hostname: host.group,
      owner: owners[0]?.group ?? null,
      cpu_usage: {
        busy_seconds: host.busySeconds,
        idle_seconds: host.idleSeconds,
        total_seconds: host.busySeconds + host.idleSeconds,
      },
      energy_kwh: { busy: split.busyKwh, idle: split.idleKwh, total: host.energyKwh },
      carbon_gco2eq: {
        busy: split.busyGrams,
        idle: split.idleGrams,
        total: host.scope2LocationGrams,
      },
      status: host.estimatedRows > 0 ? 'estimated' : 'tracked',
    });
  }
  return rows;
}
