/** `carbonctl intensity`: current value, forecast with a sparkline, best window. */
import { bestWindow, intensityIndex } from '../../core/intensity.js';
import { durationToMillis, parseDuration, parseTimeInput } from '../../core/units.js';
import type { IntensitySlot } from '../../core/ports.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { sparkline } from '../../output/charts.js';
import type { CommandResult, HumanBlock, RenderStyle } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { settingOverrides } from '../options.js';
import { optionalString, parseFlag } from '../parse.js';
import type { Invocation } from '../spec.js';
import { intensityAt, intensityProvider } from '../shared/intensity.js';
import { INTENSITY_COMMAND_OPTIONS } from './index.js';

/** Validated inputs. */
export interface IntensityOptions {
  at: Date | null;
  forecastHours: number | null;
  bestWindowMinutes: number | null;
  withinHours: number;
}

/** Parse and validate the flags. */
export function parseOptions(opts: Record<string, unknown>, zone: string): IntensityOptions {
  const at = optionalString(opts, 'at');
  const forecastHours = (opts.forecast as number | undefined) ?? null;
  const windowText = optionalString(opts, 'bestWindow');
  const withinText = optionalString(opts, 'within');
  if (withinText !== undefined && windowText === undefined) {
    throw new UsageError('--within goes with --best-window', {
      hint: 'e.g. --best-window 3h --within 24h',
    });
  }
  const minutesOf = (flag: string, text: string): number => {
    const spec = parseFlag(flag, text, parseDuration);
    if (spec.unit === 'months' || spec.unit === 'years')
      throw new UsageError(`${flag} ${text} is too long (at most 48h)`);
    return durationToMillis(spec) / 60_000;
  };
  const bestWindowMinutes =
    windowText === undefined ? null : minutesOf('--best-window', windowText);
  const withinHours =
    withinText === undefined ? (forecastHours ?? 24) : minutesOf('--within', withinText) / 60;
  if (withinHours > 48)
    throw new UsageError(`--within ${withinText ?? ''} is beyond the 48 h forecast horizon`, {
      hint: 'Use --within 48h or less.',
    });
  if (bestWindowMinutes !== null && bestWindowMinutes > withinHours * 60) {
    throw new UsageError(
      `--best-window ${windowText ?? ''} is longer than the search horizon (${withinHours} h)`,
      {
        hint: 'Give a shorter window or a longer --within.',
      },
    );
  }
  if (bestWindowMinutes !== null && bestWindowMinutes < 30) {
    throw new UsageError(`--best-window ${windowText ?? ''} is shorter than one half-hour slot`, {
      hint: 'Use 30min or more.',
    });
  }
  if (at !== undefined && (forecastHours !== null || bestWindowMinutes !== null)) {
    throw new UsageError('--at cannot be combined with --forecast or --best-window', {
      hint: 'Forecasts start now.',
    });
  }
  return {
    at: at === undefined ? null : parseFlag('--at', at, (t) => parseTimeInput(t, zone)),
    forecastHours,
    bestWindowMinutes,
    withinHours,
  };
}

interface ForecastRow {
  from_time: string;
  to_time: string;
  intensity_forecast: number | null;
  intensity_index: string | null;
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const resolved = await context.settings({
    flags: settingOverrides(invocation.command, INTENSITY_COMMAND_OPTIONS),
  });
  const settings = resolved.settings;
  const options = parseOptions(invocation.opts, settings.timezone);
  const now = context.now();

  if (options.forecastHours === null && options.bestWindowMinutes === null) {
    let value: number;
    let kind: string;
    let from: Date;
    let to: Date;
    let index: string;
    let providerName: string;
    let region: string;
    if (options.at === null) {
      const provider = await intensityProvider(context, settings);
      const current = await provider.current(now);
      ({ from, to } = current);
      value = current.intensityGPerKwh;
      kind = current.kind;
      index = current.index ?? intensityIndex(value, from.getUTCFullYear());
      providerName = provider.name;
      region = provider.regionLabel;
    } else {
      const figure = await intensityAt(context, settings, options.at);
      from = new Date(Math.floor(options.at.getTime() / 3_600_000) * 3_600_000);
      to = new Date(from.getTime() + 3_600_000);
      value = figure.gPerKwh;
      kind = figure.kind;
      index = intensityIndex(value, from.getUTCFullYear());
      providerName = figure.provider;
      region = figure.region;
    }
    const data = {
      timestamp: now.toISOString(),
      intensity: value,
      index,
      from: from.toISOString(),
      to: to.toISOString(),
      provider: providerName,
      region,
      kind,
    };
    const table = (): TableData => ({
      columns: [
        { key: 'from', header: 'From (UTC)' },
        { key: 'to', header: 'To (UTC)' },
        { key: 'intensity', header: 'Intensity (g/kWh)', kind: 'number' },
        { key: 'index', header: 'Index' },
        { key: 'provider', header: 'Provider' },
        { key: 'region', header: 'Region' },
      ],
      rows: [{ ...data, from: data.from.slice(0, 16), to: data.to.slice(0, 16) }],
    });
    return {
      data,
      csv: table,
      human: (style) => [
        {
          text: `${style.bold(String(data.intensity))} gCO2/kWh  ${paintIndex(index, style)}  ${data.from.slice(11, 16)}–${data.to.slice(11, 16)} UTC  ${data.provider} · ${data.region}${data.kind === 'actual' ? '' : ` (${data.kind})`}\n`,
        },
      ],
    };
  }

  const provider = await intensityProvider(context, settings);
  const horizonHours = Math.max(
    options.forecastHours ?? 0,
    options.bestWindowMinutes === null ? 0 : options.withinHours,
  );
  const slots = await provider.forecast(now, horizonHours);
  if (slots.length === 0) {
    throw new UsageError('the provider returned no forecast for this region', {
      hint: 'Try the national forecast (no --region) or another provider.',
    });
  }
  const forecastSlots =
    options.forecastHours === null ? [] : slotsWithin(slots, now, options.forecastHours);
  const forecasts: ForecastRow[] = forecastSlots.map((slot) => {
    const value = slot.forecast ?? slot.actual;
    return {
      from_time: slot.from.toISOString(),
      to_time: slot.to.toISOString(),
      intensity_forecast: value,
      intensity_index:
        slot.index ?? (value === null ? null : intensityIndex(value, slot.from.getUTCFullYear())),
    };
  });

  let best: {
    start: string;
    end: string;
    mean_intensity: number;
    now_mean_intensity: number;
    saving_percent: number;
    window_minutes: number;
    within_hours: number;
  } | null = null;
  if (options.bestWindowMinutes !== null) {
    const searchSlots = slotsWithin(slots, now, options.withinHours);
    const found = bestWindow(searchSlots, options.bestWindowMinutes, now);
    if (!found) {
      throw new UsageError(
        `the forecast does not cover a ${options.bestWindowMinutes} min window within ${options.withinHours} h`,
        {
          hint: 'Shorten --best-window or lengthen --within.',
        },
      );
    }
    best = {
      start: found.start.toISOString(),
      end: found.end.toISOString(),
      mean_intensity: found.meanIntensity,
      now_mean_intensity: found.nowMeanIntensity,
      saving_percent: found.savingPercent,
      window_minutes: options.bestWindowMinutes,
      within_hours: options.withinHours,
    };
  }

  const data = best
    ? options.forecastHours === null
      ? best
      : { ...best, forecasts }
    : { forecasts };
  const forecastTable = (): TableData => ({
    columns: [
      { key: 'from_time', header: 'From (UTC)' },
      { key: 'to_time', header: 'To (UTC)' },
      { key: 'intensity_forecast', header: 'Forecast (g/kWh)', kind: 'number' },
      { key: 'intensity_index', header: 'Index' },
    ],
    rows: forecasts.map((f) => ({ ...f })),
  });
  return {
    data,
    ...(options.forecastHours !== null ? { csv: forecastTable } : {}),
    human: (style) => {
      const blocks: HumanBlock[] = [];
      if (options.forecastHours !== null) {
        blocks.push({
          table: {
            ...forecastTable(),
            rows: forecasts.map((f) => ({
              ...f,
              from_time: f.from_time.slice(0, 16).replace('T', ' '),
              to_time: f.to_time.slice(11, 16),
              intensity_index: f.intensity_index ? paintIndex(f.intensity_index, style) : '',
            })),
          },
        });
        const values = forecasts
          .map((f) => f.intensity_forecast)
          .filter((v): v is number => v !== null);
        if (context.io.stdoutIsTTY && values.length > 0) {
          blocks.push({
            text: `${sparkline(values)}  ${Math.min(...values)}–${Math.max(...values)} g/kWh over ${options.forecastHours} h\n`,
          });
        }
      }
      if (best) {
        blocks.push({
          text:
            `Cleanest ${describeMinutes(best.window_minutes)} within ${best.within_hours} h: ` +
            `${style.bold(best.start.slice(0, 16).replace('T', ' '))}–${best.end.slice(11, 16)} UTC, ` +
            `mean ${best.mean_intensity.toFixed(1)} g/kWh vs ${best.now_mean_intensity.toFixed(1)} starting now ` +
            `(${style.green(`${best.saving_percent.toFixed(1)}% less`)})\n`,
        });
      }
      return blocks;
    },
  };
}

function slotsWithin(slots: IntensitySlot[], now: Date, hours: number): IntensitySlot[] {
  const end = now.getTime() + hours * 3_600_000;
  return slots.filter((slot) => slot.to.getTime() > now.getTime() && slot.from.getTime() < end);
}

function describeMinutes(minutes: number): string {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

/** Colour an index band: green for low, yellow moderate, red high. */
function paintIndex(index: string, style: RenderStyle): string {
  if (index.includes('low')) return style.green(index);
  if (index === 'moderate') return style.yellow(index);
  return style.red(index);
}
