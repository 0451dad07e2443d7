/** `carbonctl workspaces [list]`: one line per workspace, filtered by cluster, owner, project, tag, state. */
import type { Context } from '../../context.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { optionalString } from '../parse.js';
import { openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { collectWorkspaces, type WorkspaceRecord } from './collect.js';
import { WORKSPACES_OPTIONS } from './index.js';

/** The workspaces as a table (also the CSV). */
export function workspacesTable(records: readonly WorkspaceRecord[]): TableData {
  return {
    columns: [
      { key: 'host', header: 'Host' },
      { key: 'cluster', header: 'Cluster' },
      { key: 'owner', header: 'Owner' },
      { key: 'project', header: 'Project' },
      { key: 'machine', header: 'Machine' },
      { key: 'tag', header: 'Tag' },
      { key: 'state', header: 'State' },
      { key: 'first_sample', header: 'First sample' },
      { key: 'last_sample', header: 'Last sample' },
      { key: 'month_energy_kwh', header: 'This month (kWh)', kind: 'number' },
      { key: 'month_carbon_gco2eq', header: 'This month (gCO2e)', kind: 'number' },
    ],
    rows: records.map(({ month: _month, ...record }) => ({ ...record })),
  };
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, WORKSPACES_OPTIONS);
  const ledger = openReadLedger(context, settings);
  const opts = invocation.opts;
  const filters = {
    cluster: optionalString(opts, 'cluster'),
    owner: optionalString(opts, 'owner'),
    project: optionalString(opts, 'project'),
    tag: optionalString(opts, 'tag'),
    state: optionalString(opts, 'state'),
  };
  const records = (await collectWorkspaces(context, settings, ledger)).filter(
    (record) =>
      (filters.cluster === undefined || record.cluster === filters.cluster) &&
      (filters.owner === undefined || record.owner === filters.owner) &&
      (filters.project === undefined || record.project === filters.project) &&
      (filters.tag === undefined || record.tag === filters.tag) &&
      (filters.state === undefined || record.state === filters.state),
  );
  if (records.length === 0) context.io.notice('no workspaces in the ledger match the filters');
  return {
    data: { data: records, meta: { total: records.length } },
    human: () => [{ table: workspacesTable(records) }],
    csv: () => workspacesTable(records),
  };
}
