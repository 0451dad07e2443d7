/**
 * The configuration contract of SPEC §1.3 as a zod schema. Defaults live here and only here
 * (STYLE.md §8): commander never carries a default for a setting.
 */
// zod/mini: the same validation as zod's classic API at a fraction of the start-up cost
// (every command that reads settings loads this; SPEC §12 start-up bar).
import * as z from 'zod/mini';
import {
  CLUSTER_PROVIDERS,
  CLUSTER_SOURCES,
  INTENSITY_PROVIDERS,
  POWER_PROFILE_NAMES,
} from './enums.js';
import { MatcherListError, parseMatchers } from '../core/matchers.js';

export { CLUSTER_PROVIDERS, CLUSTER_SOURCES, INTENSITY_PROVIDERS, POWER_PROFILE_NAMES };

const httpUrl = z
  .string()
  .check(
    z.refine((value) => /^https?:\/\/[^\s/]+/i.test(value), { message: 'must be an http(s) URL' }),
  );

const timeZone = z.string().check(
  z.refine(isValidTimeZone, {
    message: 'must be an IANA time zone such as UTC or Europe/London',
  }),
);

/** Is this an IANA zone name Intl knows? */
export function isValidTimeZone(zone: string): boolean {
  // The default needs no ICU lookup (start-up time, SPEC §12).
  if (zone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const nonNegative = z
  .number()
  .check(z.refine(Number.isFinite, { message: 'must be a finite number' }), z.nonnegative());
const withDefault = z._default;
const nullableDefault = <T extends z.core.SomeType>(schema: T) =>
  z._default(z.nullable(schema), null);

const intensityFields = {
  provider: withDefault(z.enum(INTENSITY_PROVIDERS), 'uk'),
  region: nullableDefault(
    z.pipe(
      z.union([z.string(), z.number().check(z.int())]),
      z.transform((value) => String(value)),
    ),
  ),
  zone: withDefault(z.string().check(z.minLength(1)), 'GB'),
  fixed: nullableDefault(nonNegative),
  url: nullableDefault(httpUrl),
  token: nullableDefault(z.string()),
  // SPEC §2: the static annual average for hours the provider lacks, without --allow-estimates.
  allowEstimates: withDefault(z.boolean(), false),
};
const intensitySchema = z.strictObject(intensityFields);

const powerFields = {
  profile: withDefault(z.enum(POWER_PROFILE_NAMES), 'ada'),
  busyWattsPerCore: withDefault(nonNegative, 12),
  idleWattsPerCore: withDefault(nonNegative, 1),
  memoryWattsPerGiB: withDefault(nonNegative, 0),
  idleModes: withDefault(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), [
    'idle',
    'iowait',
  ]),
};
const powerSchema = z.strictObject(powerFields);

const costFields = {
  currency: withDefault(
    z.string().check(z.regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code')),
    'USD',
  ),
  perCoreHour: withDefault(nonNegative, 0.031611),
  perGiBHour: withDefault(nonNegative, 0.004237),
  perKwh: withDefault(nonNegative, 0),
};
const costSchema = z.strictObject(costFields);

const pue = z
  .number()
  .check(
    z.refine(Number.isFinite, { message: 'must be a finite number' }),
    z.gte(1, 'must be at least 1.0'),
  );

const prometheusSchema = z.strictObject({
  url: withDefault(httpUrl, 'http://localhost:9090'),
  token: nullableDefault(z.string()),
  username: nullableDefault(z.string()),
  password: nullableDefault(z.string()),
  headers: withDefault(z.record(z.string(), z.string()), {}),
  caFile: nullableDefault(z.string()),
  insecureSkipVerify: withDefault(z.boolean(), false),
  timeoutSeconds: withDefault(z.number().check(z.positive(), z.lte(3600)), 60),
  scrapeIntervalSeconds: withDefault(z.number().check(z.positive(), z.lte(3600)), 15),
  // SPEC §2: gaps up to this long without a counter reset are interpolated (flagged); longer ones reported.
  maxGapHours: withDefault(z.number().check(z.positive(), z.lte(744)), 24),
});

const workspacesSchema = z.strictObject({
  hostLabel: withDefault(z.string(), 'instance'),
  projectLabel: withDefault(z.string(), 'cloud_project_name'),
  machineLabel: withDefault(z.string(), 'machine_name'),
  ownerLabel: withDefault(z.string(), 'owner'),
  // The same parser track uses: a list `config validate` accepts is one `track` accepts.
  selector: withDefault(
    z.string().check(
      z.superRefine((value, context) => {
        try {
          parseMatchers(value);
        } catch (error) {
          if (!(error instanceof MatcherListError)) throw error;
          context.addIssue({ code: 'custom', message: error.message, input: value });
        }
      }),
    ),
    '',
  ),
  inventory: nullableDefault(z.string()),
});

const clusterSchema = z.strictObject({
  name: z
    .string()
    .check(
      z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dot, dash or underscore'),
    ),
  prometheus: z._default(prometheusSchema, () => prometheusSchema.parse({})),
  source: withDefault(z.enum(CLUSTER_SOURCES), 'auto'),
  provider: withDefault(z.enum(CLUSTER_PROVIDERS), 'on-prem'),
  region: nullableDefault(z.string()),
  environment: withDefault(z.string(), 'production'),
  workspaces: z._default(workspacesSchema, () => workspacesSchema.parse({})),
  intensity: nullableDefault(z.partial(z.strictObject(intensityFields))),
  power: nullableDefault(z.partial(z.strictObject(powerFields))),
  pue: nullableDefault(pue),
  cost: nullableDefault(z.partial(z.strictObject(costFields))),
});

const budgetSchema = z
  .strictObject({
    name: z.string().check(z.minLength(1)),
    scope: withDefault(
      z.strictObject({
        namespace: z.optional(z.string()),
        project: z.optional(z.string()),
        owner: z.optional(z.string()),
        cluster: z.optional(z.string()),
      }),
      {},
    ),
    period: withDefault(z.literal('month'), 'month'),
    max_co2e_g: z.optional(nonNegative),
    max_energy_kwh: z.optional(nonNegative),
    max_cost: z.optional(nonNegative),
  })
  .check(
    z.refine(
      (b) =>
        b.max_co2e_g !== undefined || b.max_energy_kwh !== undefined || b.max_cost !== undefined,
      {
        message: 'needs one of max_co2e_g, max_energy_kwh, max_cost',
      },
    ),
  );

const recommendationsSchema = z.strictObject({
  lookbackDays: withDefault(z.number().check(z.int(), z.positive(), z.lte(365)), 14),
  cpuPercentile: withDefault(z.number().check(z.gt(0), z.lte(100)), 95),
  memoryPercentile: withDefault(z.number().check(z.gt(0), z.lte(100)), 99),
  headroom: withDefault(z.number().check(z.gte(1), z.lte(10)), 1.2),
  idleBusyFraction: withDefault(z.number().check(z.gte(0), z.lte(1)), 0.02),
});

/** The whole configuration file, with defaults. */
export const settingsSchema = z.strictObject({
  $schema: z.optional(z.string()),
  ledger: nullableDefault(z.string().check(z.minLength(1))),
  timezone: withDefault(timeZone, 'UTC'),
  intensity: z._default(intensitySchema, () => intensitySchema.parse({})),
  power: z._default(powerSchema, () => powerSchema.parse({})),
  pue: withDefault(pue, 1.0),
  embodied: withDefault(z.strictObject({ gramsPerCoreHour: withDefault(nonNegative, 0) }), {
    gramsPerCoreHour: 0,
  }),
  scope2: withDefault(z.strictObject({ marketFactor: nullableDefault(nonNegative) }), {
    marketFactor: null,
  }),
  cost: z._default(costSchema, () => costSchema.parse({})),
  clusters: withDefault(
    z.array(clusterSchema).check(
      z.superRefine((clusters, context) => {
        const seen = new Set<string>();
        clusters.forEach((cluster, index) => {
          if (seen.has(cluster.name)) {
            context.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate cluster name "${cluster.name}"`,
              input: cluster.name,
            });
          }
          seen.add(cluster.name);
        });
      }),
    ),
    [],
  ),
  budgets: withDefault(z.array(budgetSchema), []),
  // Optional CSV owner,name,email: display names for show-back (usage tables, split reports).
  people: nullableDefault(z.string().check(z.minLength(1))),
  recommendations: z._default(recommendationsSchema, () => recommendationsSchema.parse({})),
});

/** The validated settings (every default filled in). */
export type Settings = z.output<typeof settingsSchema>;
/** One configured cluster. */
export type ClusterSettings = z.output<typeof clusterSchema>;
/** One named budget. */
export type BudgetSettings = z.output<typeof budgetSchema>;
/** Prometheus connection settings of a cluster. */
export type PrometheusSettings = z.output<typeof prometheusSchema>;

/** Schemas of single values, used to build a default cluster. */
export const schemas = { cluster: clusterSchema, prometheus: prometheusSchema };

/** Setting paths whose values are secrets: redacted everywhere (the rule lives in core/secrets). */
export { isSecretPath } from '../core/secrets.js';
