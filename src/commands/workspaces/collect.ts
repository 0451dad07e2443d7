/**
 * The workspaces of the ledger (node_exporter hosts) joined with the configured inventories:
 * labels as booked (the inventory already filled missing ones at `track`), the tag from the
 * inventory, first and last sample, this month's use, and the state.
 */
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import { resolvePeriod } from '../../core/periods.js';
import {
  workspaceState,
  type InventoryEntry,
  type WorkspaceInventory,
  type WorkspaceState,
} from '../../core/workspaces.js';
import type { GroupDimension, Ledger } from '../../store/types.js';

/** A workspace with no sample for this long is `gone` (unless the inventory says so earlier). */
export const GONE_AFTER_HOURS = 48;

/** One workspace (JSON of `workspaces list`/`show`). */
export interface WorkspaceRecord {
  host: string;
  cluster: string;
  owner: string | null;
  project: string | null;
  machine: string | null;
  tag: string | null;
  state: WorkspaceState;
  first_sample: string;
  last_sample: string;
  created: string | null;
  deleted: string | null;
  month: { from: string; to: string };
  month_cpu_busy_core_hours: number;
  month_cpu_idle_core_hours: number;
  month_energy_kwh: number;
  month_carbon_gco2eq: number;
}

/** The inventories of the configured clusters, by cluster name. */
export async function clusterInventories(
  settings: Settings,
): Promise<Map<string, WorkspaceInventory>> {
  const inventories = new Map<string, WorkspaceInventory>();
  const configured = settings.clusters.filter((c) => c.workspaces.inventory !== null);
  if (configured.length === 0) return inventories;
  const { readInventory } = await import('../../config/inventory.js');
  for (const cluster of configured)
    inventories.set(cluster.name, readInventory(cluster.workspaces.inventory as string));
  return inventories;
}

/** The label value with most hours booked for a host (labels can change over its life). */
function mainLabel(
  ledger: Ledger,
  cluster: string,
  host: string,
  by: GroupDimension,
): string | null {
  const rows = ledger
    .aggregate({ filter: { cluster, host, source: 'nodes' }, groupBy: by })
    .filter((row) => row.group !== null)
    .sort((a, b) => b.rowCount - a.rowCount || String(a.group).localeCompare(String(b.group)));
  return rows[0]?.group ?? null;
}

/** Every workspace of the ledger, sorted by cluster and host. */
export async function collectWorkspaces(
  context: Context,
  settings: Settings,
  ledger: Ledger,
): Promise<WorkspaceRecord[]> {
  const now = context.now();
  const month = resolvePeriod({ thisMonth: true }, now, settings.timezone);
  const inventories = await clusterInventories(settings);
  const records: WorkspaceRecord[] = [];
  const monthByCluster = new Map<
    string,
    Map<string, { busy: number; idle: number; kwh: number; g: number }>
  >();
  for (const span of ledger.entitySpans('nodes')) {
    let usage = monthByCluster.get(span.cluster);
    if (usage === undefined) {
      usage = new Map();
      for (const row of ledger.aggregate({
        filter: { cluster: span.cluster, source: 'nodes', from: month.from, to: month.to },
        groupBy: 'host',
      })) {
        if (row.group !== null)
          usage.set(row.group, {
            busy: row.busySeconds,
            idle: row.idleSeconds,
            kwh: row.energyKwh,
            g: row.scope2LocationGrams,
          });
      }
      monthByCluster.set(span.cluster, usage);
    }
    const host = span.entityId;
    const entry: InventoryEntry | undefined = inventories.get(span.cluster)?.get(host);
    const used = usage.get(host) ?? { busy: 0, idle: 0, kwh: 0, g: 0 };
    records.push({
      host,
      cluster: span.cluster,
      owner: mainLabel(ledger, span.cluster, host, 'owner'),
      project: mainLabel(ledger, span.cluster, host, 'project'),
      machine: mainLabel(ledger, span.cluster, host, 'machine'),
      tag: entry?.tag ?? null,
      state: workspaceState({
        entry,
        lastSampleEnd: span.to,
        now,
        busySeconds: used.busy,
        idleSeconds: used.idle,
        idleBusyFraction: settings.recommendations.idleBusyFraction,
        goneAfterHours: GONE_AFTER_HOURS,
      }),
      first_sample: span.from.toISOString(),
      last_sample: span.to.toISOString(),
      created: entry?.created?.toISOString() ?? null,
      deleted: entry?.deleted?.toISOString() ?? null,
      month: { from: month.from.toISOString(), to: month.to.toISOString() },
      month_cpu_busy_core_hours: used.busy / 3600,
      month_cpu_idle_core_hours: used.idle / 3600,
      month_energy_kwh: used.kwh,
      month_carbon_gco2eq: used.g,
    });
  }
  return records;
}
