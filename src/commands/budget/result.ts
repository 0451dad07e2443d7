/**
 * What `budget check` concluded: the JSON contract (SPEC §9 plus detail) and the same result for
 * people (a measured-vs-limit table and context lines), shared by stdout, the step summary and
 * the JUnit report.
 */
import {
  bindingPercentUsed,
  checkLimits,
  type BaselineComparison,
  type BudgetMetric,
  type LimitCheck,
} from '../../core/budget.js';
import type { UsageSource } from '../../core/usage.js';
import { formatHumanNumber, formatMass, formatPercent } from '../../output/format.js';
import type { CommandResult, HumanBlock, RenderStyle } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import type { CheckOptions } from './check.js';
import type { Measurement } from './measure.js';

/** The JSON contract of `budget check` (SPEC §9 plus detail). */
export interface CheckData {
  status: 'pass' | 'fail';
  mode: 'live' | 'offline';
  budget: string | null;
  measured: {
    co2e_g: number;
    energy_kwh: number;
    cost: number;
    currency: string;
    busy_cpu_seconds: number;
    idle_cpu_seconds: number;
    scope2_location_g: number;
    scope3_embodied_g: number;
  };
  limits: {
    co2e_g: number | null;
    energy_kwh: number | null;
    cost: number | null;
    max_increase_percent: number | null;
  };
  percent_used: number | null;
  checks: Array<{
    metric: BudgetMetric;
    measured: number;
    limit: number;
    percent_used: number | null;
    status: 'pass' | 'fail';
  }>;
  baseline: {
    file: string;
    metric: BudgetMetric;
    baseline_value: number;
    measured_value: number;
    increase_percent: number | null;
    max_increase_percent: number;
    status: 'pass' | 'fail';
  } | null;
  window: { from: string; to: string; duration_seconds: number } | null;
  selection: {
    namespace: string | null;
    project: string | null;
    owner: string | null;
    selector: string | null;
    clusters: Array<{
      name: string;
      source: UsageSource;
      entity_count: number;
      co2e_g: number;
      energy_kwh: number;
      cost: number;
      intensity_provider: string;
      intensity_region: string;
    }>;
  } | null;
  intensity: { providers: string[]; mean_g_per_kwh: number | null };
  missing_data: boolean;
  entity_count: number | null;
  is_estimated: boolean;
  estimation_reasons: string[];
}

/** The JSON key of a metric in `measured` and in baseline files. */
export function metricKey(metric: BudgetMetric): 'co2e_g' | 'energy_kwh' | 'cost' {
  return metric === 'co2e' ? 'co2e_g' : metric === 'energy' ? 'energy_kwh' : 'cost';
}

/** Everything `budget check` concluded, ready for stdout, CI files and the exit code. */
export interface CheckOutcome {
  data: CheckData;
  checks: LimitCheck[];
  baseline: BaselineComparison | null;
}

/** The JSON result and the checks behind it, from a measurement and the options. */
export function buildOutcome(
  options: CheckOptions,
  measurement: Measurement,
  baseline: BaselineComparison | null,
  baselineFile: string | null,
): CheckOutcome {
  const footprint = measurement.footprint;
  const checks = checkLimits(footprint, options.limits);
  const missingFails = measurement.missingData && options.failOnMissingData;
  const failed = checks.some((c) => c.exceeded) || baseline?.exceeded === true || missingFails;
  const reasons = measurement.reasons;
  const window = options.window;
  const data: CheckData = {
    status: failed ? 'fail' : 'pass',
    mode: options.mode,
    budget: options.budget,
    measured: {
      co2e_g: footprint.co2eGrams,
      energy_kwh: footprint.energyKwh,
      cost: footprint.cost,
      currency: measurement.currency,
      busy_cpu_seconds: footprint.busySeconds,
      idle_cpu_seconds: footprint.idleSeconds,
      scope2_location_g: footprint.scope2LocationGrams,
      scope3_embodied_g: footprint.scope3EmbodiedGrams,
    },
    limits: {
      co2e_g: options.limits.co2eGrams ?? null,
      energy_kwh: options.limits.energyKwh ?? null,
      cost: options.limits.cost ?? null,
      max_increase_percent: options.baseline?.maxIncreasePercent ?? null,
    },
    percent_used: bindingPercentUsed(checks),
    checks: checks.map((c) => ({
      metric: c.metric,
      measured: c.measured,
      limit: c.limit,
      percent_used: c.percentUsed,
      status: c.exceeded ? 'fail' : 'pass',
    })),
    baseline:
      baseline === null || baselineFile === null
        ? null
        : {
            file: baselineFile,
            metric: baseline.metric,
            baseline_value: baseline.baselineValue,
            measured_value: baseline.measuredValue,
            increase_percent: baseline.increasePercent,
            max_increase_percent: baseline.maxIncreasePercent,
            status: baseline.exceeded ? 'fail' : 'pass',
          },
    window:
      window === null
        ? null
        : {
            from: window.from.toISOString(),
            to: window.to.toISOString(),
            duration_seconds: (window.to.getTime() - window.from.getTime()) / 1000,
          },
    selection:
      options.mode === 'offline'
        ? null
        : {
            namespace: options.selection.namespace ?? null,
            project: options.selection.project ?? null,
            owner: options.selection.owner ?? null,
            selector: options.selection.selector ?? null,
            clusters: measurement.clusters.map((part) => ({
              name: part.cluster.name,
              source: part.source,
              entity_count: part.entityCount,
              co2e_g: part.footprint.co2eGrams,
              energy_kwh: part.footprint.energyKwh,
              cost: part.footprint.cost,
              intensity_provider: part.intensityProvider,
              intensity_region: part.intensityRegion,
            })),
          },
    intensity: {
      providers: measurement.intensityProviders,
      mean_g_per_kwh: footprint.meanIntensityGPerKwh,
    },
    missing_data: measurement.missingData,
    entity_count: measurement.entityCount,
    is_estimated: reasons.length > 0,
    estimation_reasons: reasons,
  };
  return { data, checks, baseline };
}

const METRIC_LABELS: Record<BudgetMetric, string> = {
  co2e: 'CO2e (gCO2e)',
  energy: 'Energy (kWh)',
  cost: 'Cost',
};

function metricLabel(metric: BudgetMetric, currency: string): string {
  return metric === 'cost' ? `Cost (${currency})` : METRIC_LABELS[metric];
}

/** A metric value with its unit, for people. */
export function formatMetric(metric: BudgetMetric, value: number, currency: string): string {
  if (metric === 'co2e') return formatMass(value);
  if (metric === 'energy') return `${formatHumanNumber(value)} kWh`;
  return `${formatHumanNumber(value)} ${currency}`;
}

/** The measured-vs-limit table: every metric, with its limit and share where one is set. */
export function resultTable(data: CheckData): TableData {
  const currency = data.measured.currency;
  const rows = (['co2e', 'energy', 'cost'] as const).map((metric) => {
    const check = data.checks.find((c) => c.metric === metric);
    return {
      metric: metricLabel(metric, currency),
      measured: data.measured[metricKey(metric)],
      limit: check?.limit ?? null,
      used: check?.percent_used ?? (check === undefined ? null : '∞'),
      result: check === undefined ? '' : check.status === 'pass' ? 'within' : 'OVER',
    };
  });
  return {
    columns: [
      { key: 'metric', header: 'Measure' },
      { key: 'measured', header: 'Measured', kind: 'number' },
      { key: 'limit', header: 'Limit', kind: 'number' },
      { key: 'used', header: 'Used', kind: 'percent' },
      { key: 'result', header: 'Result' },
    ],
    rows,
  };
}

function headline(data: CheckData): string {
  const currency = data.measured.currency;
  if (data.missing_data) return 'no data for the selection in the window';
  const binding = [...data.checks].sort(
    (a, b) => (b.percent_used ?? Infinity) - (a.percent_used ?? Infinity),
  )[0];
  if (binding === undefined)
    return `${formatMass(data.measured.co2e_g)}, ${formatHumanNumber(data.measured.energy_kwh)} kWh`;
  return `${formatMetric(binding.metric, binding.measured, currency)} of ${formatMetric(binding.metric, binding.limit, currency)} (${binding.percent_used === null ? '∞' : formatPercent(binding.percent_used)} used)`;
}

/** The baseline comparison as one line, or null without a baseline. */
export function baselineLine(data: CheckData): string | null {
  const b = data.baseline;
  if (b === null) return null;
  const currency = data.measured.currency;
  const change =
    b.increase_percent === null
      ? '+∞%'
      : `${b.increase_percent >= 0 ? '+' : ''}${formatPercent(b.increase_percent)}`;
  return `Baseline ${b.file}: ${b.metric} ${formatMetric(b.metric, b.baseline_value, currency)} → ${formatMetric(b.metric, b.measured_value, currency)} (${change}, allowed +${formatPercent(b.max_increase_percent)}): ${b.status === 'pass' ? 'within' : 'REGRESSION'}`;
}

/** Window, selection, intensity, estimation and baseline, one line each. */
export function contextLines(data: CheckData): string[] {
  const lines: string[] = [];
  if (data.window !== null) {
    lines.push(
      `Window: ${data.window.from} → ${data.window.to} (${formatDuration(data.window.duration_seconds)})`,
    );
  } else {
    lines.push(
      `Offline: ${formatHumanNumber(data.measured.busy_cpu_seconds)} busy + ${formatHumanNumber(data.measured.idle_cpu_seconds)} idle CPU core-seconds`,
    );
  }
  if (data.selection !== null) {
    const filters = [
      data.selection.namespace === null ? null : `namespace ${data.selection.namespace}`,
      data.selection.project === null ? null : `project ${data.selection.project}`,
      data.selection.owner === null ? null : `owner ${data.selection.owner}`,
      data.selection.selector === null ? null : `selector ${data.selection.selector}`,
    ].filter((part): part is string => part !== null);
    const clusters = data.selection.clusters
      .map(
        (c) =>
          `${c.name} (${c.source}, ${c.entity_count} ${c.source === 'pods' ? 'pods' : 'hosts'})`,
      )
      .join(', ');
    lines.push(`Selection: ${[`clusters ${clusters}`, ...filters].join('; ')}`);
  }
  if (data.budget !== null) lines.push(`Budget: ${data.budget}`);
  if (data.intensity.mean_g_per_kwh !== null) {
    lines.push(
      `Intensity: ${data.intensity.providers.map((p) => (p === 'given' ? 'given (--intensity)' : p)).join(', ')}, energy-weighted mean ${formatHumanNumber(data.intensity.mean_g_per_kwh)} g/kWh`,
    );
  }
  if (data.is_estimated) lines.push(`Estimated: ${data.estimation_reasons.join(', ')}`);
  const baseline = baselineLine(data);
  if (baseline !== null) lines.push(baseline);
  return lines;
}

function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${formatHumanNumber(seconds)} s`;
}

/** The command result: JSON contract plus the human blocks. */
export function checkResult(data: CheckData): CommandResult {
  return {
    data,
    human: (style: RenderStyle): HumanBlock[] => {
      const status = data.status === 'pass' ? style.green('PASS') : style.red(style.bold('FAIL'));
      return [
        { text: `Budget check: ${status} — ${headline(data)}\n` },
        { table: resultTable(data) },
        { text: contextLines(data).join('\n') + '\n' },
      ];
    },
  };
}
