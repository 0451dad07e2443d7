/** `carbonctl calculate`: flags → options → core footprint → Ada-shaped result. */
import { computeFootprint } from '../../core/methodology.js';
import { topEquivalencies, type EquivalencyValue } from '../../core/equivalencies.js';
import type { Context } from '../../context.js';
import { clusterProfile } from '../../accounting/profile.js';
import type { Settings } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import { settingOverrides } from '../options.js';
import { optionalString, parseFlag } from '../parse.js';
import type { Invocation } from '../spec.js';
import { intensityAt, type IntensityFigure } from '../shared/intensity.js';
import { CALCULATE_OPTIONS } from './index.js';

/** Validated inputs of `calculate`. */
export interface CalculateOptions {
  busySeconds: number;
  idleSeconds: number;
  memoryGiBHours: number;
  intensityGPerKwh: number | null;
  at: Date | null;
  equivalencyCount: number;
  energyOnly: boolean;
}

/** Parse and validate the flags. */
export async function parseOptions(
  opts: Record<string, unknown>,
  zone: string,
): Promise<CalculateOptions> {
  const busy = opts.busyCpuSeconds as number | undefined;
  const idle = opts.idleCpuSeconds as number | undefined;
  if (busy === undefined && idle === undefined) {
    throw new UsageError('calculate needs --busy-cpu-seconds and/or --idle-cpu-seconds', {
      hint: 'e.g. carbonctl calculate --busy-cpu-seconds 1000 --idle-cpu-seconds 5000 --intensity 185',
    });
  }
  const intensity = (opts.intensity as number | undefined) ?? null;
  const energyOnly = opts.energyOnly === true;
  if (energyOnly && intensity !== null) {
    throw new UsageError('--energy-only and --intensity contradict each other', {
      hint: 'Drop --intensity for an electricity-only estimate, or drop --energy-only.',
    });
  }
  const atText = optionalString(opts, 'at');
  return {
    busySeconds: busy ?? 0,
    idleSeconds: idle ?? 0,
    memoryGiBHours: (opts.memoryGibHours as number | undefined) ?? 0,
    intensityGPerKwh: intensity,
    // luxon is loaded only when a time is given: the common offline run starts faster.
    at: atText === undefined ? null : await parseAt(atText, zone),
    // Ada's default: five equivalencies.
    equivalencyCount: (opts.equivalencies as number | undefined) ?? 5,
    energyOnly,
  };
}

async function parseAt(text: string, zone: string): Promise<Date> {
  const { parseTimeInput } = await import('../../core/units.js');
  return parseFlag('--at', text, (t) => parseTimeInput(t, zone));
}

/** The Ada-shaped JSON of `calculate`. */
export interface CalculateData {
  electricity_kwh: { busy: number; idle: number; memory: number; total: number };
  carbon_gco2eq: { busy: number; idle: number; memory: number; total: number } | null;
  carbon_intensity_g_per_kwh: number | null;
  power_w: { busy: number; idle: number };
  power_profile: string;
  pue: number;
  intensity_source: string | null;
  cost: { value: number; currency: string };
  is_estimated: boolean;
  estimation_reasons: string[];
  /** Ada's `{total_gco2eq, top_equivalencies}` (as `equivalencies -o json`); null with --energy-only. */
  equivalencies: {
    total_gco2eq: number;
    top_equivalencies: Record<string, Omit<EquivalencyValue, 'key'>>;
  } | null;
  /** --energy-only: Ada's electricity-estimate keys. */
  busy_kwh?: number;
  idle_kwh?: number;
  total_kwh?: number;
  busy_power_w?: number;
  idle_power_w?: number;
}

/** Compute the footprint for the options. */
export async function run(
  options: CalculateOptions,
  settings: Settings,
  context: Context,
): Promise<CalculateData> {
  const factors = clusterProfile(settings).factors;
  let figure: IntensityFigure | null = null;
  if (!options.energyOnly && options.intensityGPerKwh === null) {
    figure = await intensityAt(context, settings, options.at);
    context.io.info(`Using ${figure.description}: ${figure.gPerKwh} g/kWh.`);
  }
  const intensity = options.energyOnly ? 0 : (options.intensityGPerKwh ?? figure?.gPerKwh ?? 0);
  const footprint = computeFootprint(
    {
      busySeconds: options.busySeconds,
      idleSeconds: options.idleSeconds,
      memoryGiBHours: options.memoryGiBHours,
    },
    intensity,
    factors,
  );
  const reasons = [...footprint.estimationReasons, ...(figure?.reasons ?? [])];
  let equivalencies: CalculateData['equivalencies'] = null;
  if (!options.energyOnly) {
    const top: Record<string, Omit<EquivalencyValue, 'key'>> = {};
    for (const { key, ...rest } of topEquivalencies(
      footprint.scope2LocationGrams,
      options.equivalencyCount,
    )) {
      top[key] = rest;
    }
    equivalencies = { total_gco2eq: footprint.scope2LocationGrams, top_equivalencies: top };
  }
  const electricityEstimate = options.energyOnly
    ? {
        busy_kwh: footprint.energy.busyKwh,
        idle_kwh: footprint.energy.idleKwh,
        total_kwh: footprint.energy.totalKwh,
        busy_power_w: factors.power.busyWattsPerCore,
        idle_power_w: factors.power.idleWattsPerCore,
      }
    : {};
  return {
    ...electricityEstimate,
    electricity_kwh: {
      busy: footprint.energy.busyKwh,
      idle: footprint.energy.idleKwh,
      memory: footprint.energy.memoryKwh,
      total: footprint.energy.totalKwh,
    },
    carbon_gco2eq: options.energyOnly
      ? null
      : {
          busy: footprint.busyGrams,
          idle: footprint.idleGrams,
          memory: footprint.memoryGrams,
          total: footprint.scope2LocationGrams,
        },
    carbon_intensity_g_per_kwh: options.energyOnly ? null : intensity,
    power_w: { busy: factors.power.busyWattsPerCore, idle: factors.power.idleWattsPerCore },
    power_profile: factors.power.profile,
    pue: factors.pue,
    intensity_source: options.energyOnly
      ? null
      : figure
        ? figure.description
        : 'given (--intensity)',
    cost: { value: footprint.cost, currency: factors.cost.currency },
    is_estimated: !options.energyOnly && reasons.some((r) => r.startsWith('intensity_')),
    estimation_reasons: options.energyOnly ? [] : [...new Set(reasons)].sort(),
    equivalencies,
  };
}

/** Command entry: settings, options, run, and how to show the result. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = (
    await context.settings({ flags: settingOverrides(invocation.command, CALCULATE_OPTIONS) })
  ).settings;
  const options = await parseOptions(invocation.opts, settings.timezone);
  const data = await run(options, settings, context);
  return {
    data,
    human: () => {
      const rows = [
        { part: 'busy', kwh: data.electricity_kwh.busy, g: data.carbon_gco2eq?.busy },
        { part: 'idle', kwh: data.electricity_kwh.idle, g: data.carbon_gco2eq?.idle },
        ...(options.memoryGiBHours > 0
          ? [{ part: 'memory', kwh: data.electricity_kwh.memory, g: data.carbon_gco2eq?.memory }]
          : []),
      ];
      const columns = [
        { key: 'part', header: '' },
        { key: 'kwh', header: 'Electricity (kWh)', kind: 'number' as const },
        ...(data.carbon_gco2eq
          ? [{ key: 'g', header: 'Carbon (gCO2e)', kind: 'number' as const }]
          : []),
      ];
      const lines = [
        `Power: ${data.power_w.busy} W busy / ${data.power_w.idle} W idle per core (${data.power_profile}), PUE ${data.pue}`,
        data.carbon_intensity_g_per_kwh === null
          ? 'Intensity: not used (--energy-only)'
          : `Intensity: ${data.carbon_intensity_g_per_kwh} g/kWh (${data.intensity_source ?? ''})`,
        `Cost: ${data.cost.value.toFixed(4)} ${data.cost.currency}`,
      ];
      const equivalencyLines = Object.values(data.equivalencies?.top_equivalencies ?? {}).map(
        (e) => `  ≈ ${formatEquivalency(e.value)} ${e.description}`,
      );
      return [
        {
          table: {
            columns,
            rows,
            footer: {
              part: 'total',
              kwh: data.electricity_kwh.total,
              g: data.carbon_gco2eq?.total,
            },
          },
        },
        {
          text:
            lines.join('\n') +
            '\n' +
            (equivalencyLines.length ? `That is about:\n${equivalencyLines.join('\n')}\n` : ''),
        },
      ];
    },
  };
}

function formatEquivalency(value: number): string {
  return value >= 100
    ? Math.round(value).toLocaleString('en-US')
    : Number(value.toPrecision(3)).toString();
}
