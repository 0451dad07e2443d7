/** `carbonctl workspaces show <host>`: one workspace in full. */
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import { optionalString } from '../parse.js';
import { openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { collectWorkspaces } from './collect.js';
import { WORKSPACES_OPTIONS } from './index.js';

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, WORKSPACES_OPTIONS);
  const ledger = openReadLedger(context, settings);
  const host = invocation.args[0] ?? '';
  const cluster = optionalString(invocation.opts, 'cluster');
  const matches = (await collectWorkspaces(context, settings, ledger)).filter(
    (record) => record.host === host && (cluster === undefined || record.cluster === cluster),
  );
  if (matches.length === 0) {
    throw new UsageError(`workspace ${host} is not in the ledger`, {
      hint: 'List them with `carbonctl workspaces`; run `carbonctl track` first if it is new.',
    });
  }
  if (matches.length > 1) {
    throw new UsageError(
      `workspace ${host} is in several clusters: ${matches.map((m) => m.cluster).join(', ')}`,
      { hint: 'Give --cluster <name>.' },
    );
  }
  const record = matches[0]!;
  return {
    data: { data: record },
    human: () => [
      {
        table: {
          columns: [
            { key: 'field', header: 'Field' },
            { key: 'value', header: 'Value' },
          ],
          rows: [
            ['Host', record.host],
            ['Cluster', record.cluster],
            ['Owner', record.owner],
            ['Project', record.project],
            ['Machine', record.machine],
            ['Tag', record.tag],
            ['State', record.state],
            ['Created (inventory)', record.created],
            ['Deleted (inventory)', record.deleted],
            ['First sample', record.first_sample],
            ['Last sample', record.last_sample],
            ['This month busy CPU (core-h)', record.month_cpu_busy_core_hours],
            ['This month idle CPU (core-h)', record.month_cpu_idle_core_hours],
            ['This month (kWh)', record.month_energy_kwh],
            ['This month (gCO2e)', record.month_carbon_gco2eq],
          ].map(([field, value]) => ({ field, value })),
        },
      },
    ],
  };
}
