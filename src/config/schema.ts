/**
 * The configuration contract of SPEC §1.3 as a zod schema. Defaults live here and only here
 * (STYLE.md §8): commander never carries a default for a setting.
 */
import { z } from 'zod';

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), { message: 'must be an http(s) URL' });

const timeZone = z.string().refine(isValidTimeZone, {
  message: 'must be an IANA time zone such as UTC or Europe/London',
});

/** Is this an IANA zone name Intl knows? */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const INTENSITY_PROVIDERS = ['uk', 'electricitymaps', 'static', 'fixed'] as const;
export const POWER_PROFILE_NAMES = ['ada', 'aws', 'gcp', 'azure', 'custom'] as const;
export const CLUSTER_SOURCES = ['nodes', 'pods', 'auto'] as const;
export const CLUSTER_PROVIDERS = ['aws', 'gcp', 'azure', 'on-prem'] as const;

const nonNegative = z.number().finite().nonnegative();

const intensitySchema = z
  .object({
    provider: z.enum(INTENSITY_PROVIDERS).default('uk'),
    region: z
      .union([z.string(), z.number().int()])
      .nullable()
      .default(null)
      .transform((value) => (value === null ? null : String(value))),
    zone: z.string().min(1).default('GB'),
    fixed: nonNegative.nullable().default(null),
    url: httpUrl.nullable().default(null),
    token: z.string().nullable().default(null),
  })
  .strict();

const powerSchema = z
  .object({
    profile: z.enum(POWER_PROFILE_NAMES).default('ada'),
    busyWattsPerCore: nonNegative.default(12),
    idleWattsPerCore: nonNegative.default(1),
    memoryWattsPerGiB: nonNegative.default(0),
    idleModes: z.array(z.string().min(1)).min(1).default(['idle', 'iowait']),
  })
  .strict();

const costSchema = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code').default('USD'),
    perCoreHour: nonNegative.default(0.031611),
    perGiBHour: nonNegative.default(0.004237),
    perKwh: nonNegative.default(0),
  })
  .strict();

const pue = z.number().finite().min(1, 'must be at least 1.0');

const prometheusSchema = z
  .object({
    url: httpUrl.default('http://localhost:9090'),
    token: z.string().nullable().default(null),
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    headers: z.record(z.string(), z.string()).default({}),
    caFile: z.string().nullable().default(null),
    insecureSkipVerify: z.boolean().default(false),
    timeoutSeconds: z.number().positive().max(3600).default(60),
    scrapeIntervalSeconds: z.number().positive().max(3600).default(15),
  })
  .strict();

const clusterSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dot, dash or underscore'),
    prometheus: prometheusSchema.default(() => prometheusSchema.parse({})),
    source: z.enum(CLUSTER_SOURCES).default('auto'),
    provider: z.enum(CLUSTER_PROVIDERS).default('on-prem'),
    region: z.string().nullable().default(null),
    environment: z.string().default('production'),
    workspaces: z
      .object({
        hostLabel: z.string().default('instance'),
        projectLabel: z.string().default('cloud_project_name'),
        machineLabel: z.string().default('machine_name'),
        ownerLabel: z.string().default('owner'),
        selector: z.string().default(''),
        inventory: z.string().nullable().default(null),
      })
      .strict()
      .default(() => ({
        hostLabel: 'instance',
        projectLabel: 'cloud_project_name',
        machineLabel: 'machine_name',
        ownerLabel: 'owner',
        selector: '',
        inventory: null,
      })),
    intensity: intensitySchema.partial().nullable().default(null),
    power: powerSchema.partial().nullable().default(null),
    pue: pue.nullable().default(null),
    cost: costSchema.partial().nullable().default(null),
  })
  .strict();

const budgetSchema = z
  .object({
    name: z.string().min(1),
    scope: z
      .object({
        namespace: z.string().optional(),
        project: z.string().optional(),
        owner: z.string().optional(),
        cluster: z.string().optional(),
      })
      .strict()
      .default({}),
    period: z.literal('month').default('month'),
    max_co2e_g: nonNegative.optional(),
    max_energy_kwh: nonNegative.optional(),
    max_cost: nonNegative.optional(),
  })
  .strict()
  .refine(
    (b) => b.max_co2e_g !== undefined || b.max_energy_kwh !== undefined || b.max_cost !== undefined,
    { message: 'needs one of max_co2e_g, max_energy_kwh, max_cost' },
  );

/** The whole configuration file, with defaults. */
export const settingsSchema = z
  .object({
    $schema: z.string().optional(),
    ledger: z.string().min(1).nullable().default(null),
    timezone: timeZone.default('UTC'),
    intensity: intensitySchema.default(() => intensitySchema.parse({})),
    power: powerSchema.default(() => powerSchema.parse({})),
    pue: pue.default(1.0),
    embodied: z
      .object({ gramsPerCoreHour: nonNegative.default(0) })
      .strict()
      .default({ gramsPerCoreHour: 0 }),
    scope2: z
      .object({ marketFactor: nonNegative.nullable().default(null) })
      .strict()
      .default({ marketFactor: null }),
    cost: costSchema.default(() => costSchema.parse({})),
    clusters: z
      .array(clusterSchema)
      .default([])
      .superRefine((clusters, context) => {
        const seen = new Set<string>();
        clusters.forEach((cluster, index) => {
          if (seen.has(cluster.name)) {
            context.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate cluster name "${cluster.name}"`,
            });
          }
          seen.add(cluster.name);
        });
      }),
    budgets: z.array(budgetSchema).default([]),
    recommendations: z
      .object({
        lookbackDays: z.number().int().positive().max(365).default(14),
        cpuPercentile: z.number().gt(0).max(100).default(95),
        memoryPercentile: z.number().gt(0).max(100).default(99),
        headroom: z.number().min(1).max(10).default(1.2),
        idleBusyFraction: z.number().min(0).max(1).default(0.02),
      })
      .strict()
      .default({
        lookbackDays: 14,
        cpuPercentile: 95,
        memoryPercentile: 99,
        headroom: 1.2,
        idleBusyFraction: 0.02,
      }),
  })
  .strict();

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

/** Setting paths whose values are secrets: redacted everywhere. */
export function isSecretPath(path: string): boolean {
  return /(^|\.)(token|password)$/.test(path) || /\.headers\./.test(path);
}
