/** `carbonctl clusters show <name>`: one cluster's whole inventory, as a field/value table. */
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { formatHumanNumber, formatPercent } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import type { Cell, TableData } from '../../output/table.js';
import { prometheusFlagOverrides, selectClusters } from '../shared/prometheus.js';
import type { Invocation } from '../spec.js';
import { clusterInventory, type ClusterInventory } from './inventory.js';

const BYTES_PER_GIB = 1024 ** 3;

function gib(bytes: number | null): number | null {
  return bytes === null ? null : bytes / BYTES_PER_GIB;
}

/** Field/value rows for people; the JSON carries the same numbers at full precision. */
export function clusterDetailTable(c: ClusterInventory): TableData {
  const rows: Array<[string, Cell, ('number' | 'percent')?]> = [
    ['Name', c.metadata.name],
    ['Provider', c.metadata.provider],
    ['Region', c.metadata.region],
    ['Environment', c.metadata.environment],
    ['Status', c.metadata.status],
    ['Last sample', c.metadata.last_sample_at ?? 'none in the last 7 days'],
    ['Figures at', c.metadata.evaluated_at],
    ['Prometheus', c.metadata.prometheus_url],
    ['Capacity from', c.metadata.capacity_source],
    ['Nodes', c.metadata.node_count, 'number'],
    ['Namespaces', c.metadata.namespace_count, 'number'],
    ['Workloads', c.metadata.workload_count, 'number'],
    ['Pods', c.metadata.pod_count, 'number'],
    ['Kubernetes version', c.metadata.k8s_version],
    ['Container restarts', c.utilization.restarts_total, 'number'],
    ['OOM-killed containers', c.utilization.oom_kills_total, 'number'],
    ['CPU capacity (cores)', c.capacity.cpu_cores, 'number'],
    ['Memory capacity (GiB)', gib(c.capacity.memory_bytes), 'number'],
    ['Pods capacity', c.capacity.pods.allocatable, 'number'],
    ['CPU requested (cores)', c.utilization.cpu_requested_cores, 'number'],
    ['CPU requested (%)', c.utilization.cpu_requested_percent, 'percent'],
    ['CPU used (cores)', c.utilization.cpu_used_cores, 'number'],
    ['CPU used (%)', c.utilization.cpu_used_percent, 'percent'],
    ['Memory requested (GiB)', gib(c.utilization.memory_requested_bytes), 'number'],
    ['Memory requested (%)', c.utilization.memory_requested_percent, 'percent'],
    ['Memory used (GiB)', gib(c.utilization.memory_used_bytes), 'number'],
    ['Memory used (%)', c.utilization.memory_used_percent, 'percent'],
    [`Cost (${c.cost.currency}/h)`, c.cost.hourly, 'number'],
    [`Cost (${c.cost.currency}/month, 730 h)`, c.cost.monthly, 'number'],
    ['Energy (kWh/h)', c.carbon.hourly_energy_kwh, 'number'],
    ['Carbon (gCO2e/h)', c.carbon.hourly_co2e_g, 'number'],
    ['Carbon (kgCO2e/month, 730 h)', c.carbon.monthly_co2e_kg, 'number'],
    ['Intensity (g/kWh)', c.carbon.intensity_g_per_kwh, 'number'],
    ['Intensity provider', c.carbon.intensity_provider],
    ['Estimated', c.carbon.is_estimated ? c.carbon.estimation_reasons.join(', ') : 'no'],
  ];
  // One text column so numbers and words share it; numbers still get the human rounding.
  return {
    columns: [
      { key: 'field', header: 'Field' },
      { key: 'value', header: 'Value' },
    ],
    rows: rows.map(([field, value, kind]) => ({
      field,
      value: typeof value === 'number' ? formatValue(value, kind) : value,
    })),
  };
}

function formatValue(value: number, kind: 'number' | 'percent' | undefined): string {
  return kind === 'percent' ? formatPercent(value) : formatHumanNumber(value);
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const name = invocation.args[0];
  if (name === undefined || name === '') {
    throw new UsageError('clusters show needs a cluster name', {
      hint: 'e.g. carbonctl clusters show prod',
    });
  }
  const { settings } = await context.settings({
    prometheusFlags: prometheusFlagOverrides(invocation.command),
    cluster: name,
  });
  const cluster = selectClusters(settings, name, 'cluster')[0];
  if (cluster === undefined) throw new UsageError(`cluster ${name} is not configured`);
  const opts = invocation.opts;
  const inventory = await clusterInventory(context, settings, cluster, {
    givenGPerKwh: (opts.intensity as number | undefined) ?? null,
    allowEstimates: opts.allowEstimates === true,
  });
  return {
    data: { data: inventory },
    human: () => [{ table: clusterDetailTable(inventory) }],
  };
}
