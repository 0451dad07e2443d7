/**
 * `carbonctl workspaces groups` (Ada's `/groups`): every group `{project}_{machine}` known to the
 * ledger (any time) or to an inventory, with its workspace count, how many used CPU in the period
 * and their energy and emissions — groups without use in the period included, with zeros.
 */
import type { Context } from '../../context.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import {
  periodSelectorFrom,
  openReadLedger,
  readerSettings,
  resolveReaderPeriod,
} from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { clusterInventories } from './collect.js';
import { WORKSPACES_GROUPS_OPTIONS } from './index.js';

/** One group (JSON of `workspaces groups`). */
export interface GroupRecord {
  group: string;
  project: string | null;
  machine: string | null;
  /** Workspaces ever booked in the group, or listed for it in an inventory. */
  workspace_count: number;
  /** Workspaces with usage in the period. */
  active_count: number;
  energy_kwh: number;
  carbon_gco2eq: number;
}

function splitGroup(group: string): { project: string | null; machine: string | null } {
  const at = group.indexOf('_');
  return at < 0
    ? { project: group, machine: null }
    : { project: group.slice(0, at), machine: group.slice(at + 1) };
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, WORKSPACES_GROUPS_OPTIONS);
  const range = resolveReaderPeriod(
    periodSelectorFrom(invocation.opts),
    context.now(),
    settings.timezone,
    { thisMonth: true },
  );
  const ledger = openReadLedger(context, settings);
  const groups = new Map<string, GroupRecord>();
  const record = (group: string): GroupRecord => {
    let entry = groups.get(group);
    if (entry === undefined) {
      entry = {
        group,
        ...splitGroup(group),
        workspace_count: 0,
        active_count: 0,
        energy_kwh: 0,
        carbon_gco2eq: 0,
      };
      groups.set(group, entry);
    }
    return entry;
  };
  // Hosts per group over all time (a group with no use this period still has workspaces).
  const hosts = new Map<string, Set<string>>();
  for (const row of ledger.aggregate({ filter: { source: 'nodes' }, groupBy: 'group' })) {
    if (row.group === null) continue;
    record(row.group);
    const names = new Set<string>();
    for (const host of ledger.aggregate({
      filter: { source: 'nodes', group: row.group },
      groupBy: 'host',
    }))
      if (host.group !== null) names.add(host.group);
    hosts.set(row.group, names);
  }
  for (const inventory of (await clusterInventories(settings)).values()) {
    for (const entry of inventory.values()) {
      if (entry.project === null || entry.machine === null) continue;
      const group = `${entry.project}_${entry.machine}`;
      record(group);
      const names = hosts.get(group) ?? new Set<string>();
      names.add(entry.host);
      hosts.set(group, names);
    }
  }
  for (const [group, names] of hosts) record(group).workspace_count = names.size;
  for (const row of ledger.aggregate({
    filter: { source: 'nodes', from: range.from, to: range.to },
    groupBy: 'group',
  })) {
    if (row.group === null) continue;
    const entry = record(row.group);
    entry.active_count = row.entityCount;
    entry.energy_kwh = row.energyKwh;
    entry.carbon_gco2eq = row.scope2LocationGrams;
  }
  const rows = [...groups.values()].sort((a, b) => a.group.localeCompare(b.group));
  const table = (): TableData => ({
    columns: [
      { key: 'group', header: 'Group' },
      { key: 'project', header: 'Project' },
      { key: 'machine', header: 'Machine' },
      { key: 'workspace_count', header: 'Workspaces', kind: 'number' },
      { key: 'active_count', header: 'Active', kind: 'number' },
      { key: 'energy_kwh', header: 'Energy (kWh)', kind: 'number' },
      { key: 'carbon_gco2eq', header: 'Carbon (gCO2e)', kind: 'number' },
    ],
    rows: rows.map((row) => ({ ...row })),
  });
  return {
    data: {
      period: { from: range.from.toISOString(), to: range.to.toISOString() },
      group_count: rows.length,
      groups: rows,
    },
    human: () => [{ table: table() }],
    csv: table,
  };
}
