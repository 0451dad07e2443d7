/**
 * Settings resolution, highest first: command-line flags > environment variables > config
 * file > built-in defaults (SPEC §1.3). Every effective value remembers where it came from so
 * `config list` can say so.
 */
import { readFileSync } from 'node:fs';
import type * as z from 'zod/mini';
import { ConfigError, UsageError } from '../errors.js';
import { formatPath, getAt, leaves, parsePath, setAt, type PathSegment } from './keypath.js';
import { settingsSchema, type Settings } from './schema.js';
import { redactTree } from '../core/secrets.js';
import { POWER_PROFILES } from '../core/power.js';
import { issueMessage } from '../core/zod-issues.js';

/** Where an effective value came from. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/** A value given on the command line or in the environment, aimed at a settings path. */
export interface SettingOverride {
  path: string;
  value: unknown;
  origin: 'flag' | 'env';
  /** `--pue` or `CARBONCTL_TZ`, for messages. */
  name: string;
}

/** The environment variables of SPEC §1.3 that map straight onto a settings path. */
export const ENV_SETTINGS: ReadonlyArray<{ variable: string; path: string }> = [
  { variable: 'CARBONCTL_LEDGER', path: 'ledger' },
  { variable: 'CARBONCTL_TZ', path: 'timezone' },
  { variable: 'CARBONCTL_INTENSITY_PROVIDER', path: 'intensity.provider' },
  { variable: 'CARBONCTL_INTENSITY_URL', path: 'intensity.url' },
  { variable: 'CARBONCTL_ELECTRICITYMAPS_TOKEN', path: 'intensity.token' },
  { variable: 'CARBONCTL_REGION', path: 'intensity.region' },
];

/** Environment variables that override the selected cluster's Prometheus connection. */
export const ENV_PROMETHEUS: ReadonlyArray<{ variable: string; key: string }> = [
  { variable: 'CARBONCTL_PROMETHEUS_URL', key: 'url' },
  { variable: 'CARBONCTL_PROMETHEUS_TOKEN', key: 'token' },
  { variable: 'CARBONCTL_PROMETHEUS_USER', key: 'username' },
  { variable: 'CARBONCTL_PROMETHEUS_PASSWORD', key: 'password' },
];

/** Inputs of one resolution. */
export interface ResolveInput {
  env: Record<string, string | undefined>;
  /** Path of the config file and how it was chosen. */
  configFile: { path: string; explicit: boolean };
  /** Overrides from flags (only those commander says came from the command line). */
  flags: SettingOverride[];
  /** Prometheus overrides from flags (`--prometheus-url`), applied like the env ones. */
  prometheusFlags?: Array<{ key: string; value: string; name: string }>;
  /** `--cluster <name>`: the cluster that connection overrides apply to. */
  cluster?: string | undefined;
  /** Ledger default when neither file nor env nor flag sets one. */
  defaultLedger: string;
}

/** The effective settings plus provenance. */
export interface ResolvedSettings {
  settings: Settings;
  /** Source of every leaf path (`intensity.provider` → `env`). */
  sources: Map<string, SettingSource>;
  /** The env var or flag that set a value, for messages. */
  origins: Map<string, string>;
  configFile: { path: string; explicit: boolean; exists: boolean };
}

/** Read and JSON-parse the config file; a missing default file is an empty config. */
export function readConfigFile(file: { path: string; explicit: boolean }): {
  raw: Record<string, unknown>;
  exists: boolean;
} {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !file.explicit) {
      return { raw: {}, exists: false };
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError(`cannot read config file ${file.path} (${code})`, {
      hint:
        code === 'ENOENT'
          ? 'Check --config / CARBONCTL_CONFIG, or create it with `carbonctl init`.'
          : 'Check the file permissions.',
    });
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${file.path} is not valid JSON: ${(error as Error).message}`,
      {
        hint: 'Fix the file, or run `carbonctl config validate` after editing.',
      },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file.path} must hold a JSON object`);
  }
  return { raw: parsed as Record<string, unknown>, exists: true };
}

/** Every schema problem as `path: message`, all at once. */
export function describeIssues(
  error: z.core.$ZodError,
  originOf?: (path: string) => string | undefined,
): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path.filter((p): p is PathSegment => typeof p !== 'symbol'));
    const origin = originOf?.(path);
    return `${path || '(top level)'}: ${issueMessage(issue)}${origin ? ` (from ${origin})` : ''}`;
  });
}

/** Validate a raw config object, throwing one ConfigError that lists every problem. */
export function validateRaw(raw: unknown, where: string): Settings {
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const problems = describeIssues(result.error);
    throw new ConfigError(`${where} is invalid:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix these keys (see `carbonctl config list` for the effective values).',
    });
  }
  return result.data;
}

/** Resolve flags > env > file > defaults into validated settings with the source of each value. */
export function resolveSettings(input: ResolveInput): ResolvedSettings {
  const { raw: fileRaw, exists } = readConfigFile(input.configFile);
  // The file alone must be valid: report its problems against the file, all at once.
  validateRaw(fileRaw, `config file ${input.configFile.path}`);

  const merged = structuredClone(fileRaw);
  const origins = new Map<string, string>();
  const setOrigin = new Map<string, SettingSource>();
  const apply = (path: string, value: unknown, origin: 'flag' | 'env', name: string): void => {
    setAt(merged, parsePath(path), value);
    setOrigin.set(path, origin);
    origins.set(path, name);
  };

  for (const { variable, path } of ENV_SETTINGS) {
    const value = input.env[variable];
    if (value !== undefined && value !== '') apply(path, value, 'env', variable);
  }
  const prometheusOverrides: Array<{
    key: string;
    value: string;
    origin: 'flag' | 'env';
    name: string;
  }> = [];
  for (const { variable, key } of ENV_PROMETHEUS) {
    const value = input.env[variable];
    if (value !== undefined && value !== '')
      prometheusOverrides.push({ key, value, origin: 'env', name: variable });
  }
  for (const flag of input.prometheusFlags ?? []) {
    prometheusOverrides.push({ ...flag, origin: 'flag' });
  }
  if (prometheusOverrides.length > 0) {
    const index = selectClusterIndex(merged, input.cluster, prometheusOverrides[0]?.name ?? '');
    for (const override of prometheusOverrides) {
      apply(
        `clusters[${index}].prometheus.${override.key}`,
        override.value,
        override.origin,
        override.name,
      );
    }
  }
  for (const flag of input.flags) apply(flag.path, flag.value, flag.origin, flag.name);
  if (getAt(merged, ['ledger']) === undefined || getAt(merged, ['ledger']) === null) {
    merged.ledger = input.defaultLedger;
  }

  const result = settingsSchema.safeParse(merged);
  if (!result.success) {
    const problems = describeIssues(result.error, (path) => origins.get(path));
    const fromFlag = result.error.issues.some((issue) =>
      origins
        .get(formatPath(issue.path.filter((p): p is PathSegment => typeof p !== 'symbol')))
        ?.startsWith('--'),
    );
    const Kind = fromFlag ? UsageError : ConfigError;
    throw new Kind(`invalid settings:\n  ${problems.join('\n  ')}`);
  }

  const settings = applyProfileDefaults(result.data, fileRaw, setOrigin);
  const sources = new Map<string, SettingSource>();
  for (const [segments] of leaves(settings)) {
    const path = formatPath(segments);
    const explicit = [...setOrigin.keys()].find(
      (p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
    );
    if (explicit) sources.set(path, setOrigin.get(explicit) ?? 'default');
    else if (getAt(fileRaw, segments) !== undefined) sources.set(path, 'file');
    else sources.set(path, path === 'ledger' ? 'default' : 'default');
  }
  return { settings, sources, origins, configFile: { ...input.configFile, exists } };
}

function selectClusterIndex(
  merged: Record<string, unknown>,
  cluster: string | undefined,
  name: string,
): number {
  const clusters = Array.isArray(merged.clusters)
    ? (merged.clusters as Array<Record<string, unknown>>)
    : [];
  if (cluster !== undefined) {
    const index = clusters.findIndex((c) => c.name === cluster);
    if (index >= 0) return index;
    if (clusters.length === 0 && cluster === 'default') {
      merged.clusters = [{ name: 'default' }];
      return 0;
    }
    throw new UsageError(`--cluster ${cluster} is not a configured cluster`, {
      hint: clusters.length
        ? `Configured clusters: ${clusters.map((c) => String(c.name)).join(', ')}.`
        : 'No clusters are configured; drop --cluster or add one with `carbonctl init`.',
    });
  }
  if (clusters.length === 0) {
    merged.clusters = [{ name: 'default' }];
    return 0;
  }
  if (clusters.length === 1) return 0;
  throw new UsageError(`${name} needs --cluster: ${clusters.length} clusters are configured`, {
    hint: `Pick one with --cluster ${clusters.map((c) => String(c.name)).join('|')}.`,
  });
}

/**
 * Cloud power profiles bring their own watts and PUE (SPEC §2) unless those were set
 * explicitly; `custom` keeps the numbers given.
 */
function applyProfileDefaults(
  settings: Settings,
  fileRaw: Record<string, unknown>,
  explicit: Map<string, SettingSource>,
): Settings {
  const isSet = (path: string): boolean =>
    explicit.has(path) || getAt(fileRaw, parsePath(path)) !== undefined;
  const profile = settings.power.profile;
  if (profile === 'ada' || profile === 'custom') return settings;
  // Cloud Carbon Footprint coefficients (SPEC §2; reference/methodology.md §2.1, §3).
  const profileValues = POWER_PROFILES[profile];
  return {
    ...settings,
    power: {
      ...settings.power,
      busyWattsPerCore: isSet('power.busyWattsPerCore')
        ? settings.power.busyWattsPerCore
        : profileValues.busyWattsPerCore,
      idleWattsPerCore: isSet('power.idleWattsPerCore')
        ? settings.power.idleWattsPerCore
        : profileValues.idleWattsPerCore,
      // CCF's memory coefficient, so memory rightsizing shows its carbon (power.ts).
      memoryWattsPerGiB: isSet('power.memoryWattsPerGiB')
        ? settings.power.memoryWattsPerGiB
        : profileValues.memoryWattsPerGiB,
    },
    pue: isSet('pue') ? settings.pue : (profileValues.defaultPue ?? settings.pue),
  };
}

/** Display form of a value for `config list`: secrets redacted. */
export function displayValue(path: string, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const shown = redactTree(value, path);
  return typeof shown === 'string' ? shown : JSON.stringify(shown);
}
