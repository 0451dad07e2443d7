/**
 * `carbonctl recommendations [list]`: the stored recommendations with every SPEC §8 filter,
 * largest monthly saving first, as a table or Kubeadapt-like JSON. `--refresh` runs
 * `generate` first. Enum lists are validated: an unknown value is exit 2 naming the allowed set.
 */
import type { Context } from '../../context.js';
import { parseEnumList } from '../../core/clusters.js';
import {
  RECOMMENDATION_PRIORITIES,
  RECOMMENDATION_RISKS,
  RECOMMENDATION_STATUSES,
  RECOMMENDATION_TYPES,
} from '../../core/recommendation-model.js';
import { parseMassGrams, parseTimeInput } from '../../core/units.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import { asUsage } from '../shared/ledger.js';
import type { RecommendationListQuery } from '../../store/recommendations.js';
import { optionalString, parseFlag } from '../parse.js';
import type { Invocation } from '../spec.js';
import {
  ledgerExists,
  openRecommendationReader,
  recommendationJson,
  recommendationSettings,
  recommendationsTable,
} from './common.js';
import { describeGeneration, generateRecommendations } from './generate.js';
import { RECOMMENDATIONS_LIST_OPTIONS } from './index.js';

/** The JSON of `recommendations list` (SPEC §8, Kubeadapt-like). */
export interface RecommendationsListData {
  data: Array<ReturnType<typeof recommendationJson>>;
  meta: { total: number };
}

function enumFlag<T extends string>(
  opts: Record<string, unknown>,
  key: string,
  flag: string,
  allowed: readonly T[],
): T[] | undefined {
  const text = optionalString(opts, key);
  return text === undefined
    ? undefined
    : parseFlag(flag, text, (value) => parseEnumList(value, allowed, flag));
}

/** The ledger query the flags describe (validated; default: active ones, by CO2e). */
export function listQueryFrom(opts: Record<string, unknown>): RecommendationListQuery {
  const query: RecommendationListQuery = {
    statuses: enumFlag(opts, 'status', '--status', RECOMMENDATION_STATUSES) ?? ['active'],
    sort: opts.sort === 'cost' ? 'cost' : 'co2',
  };
  const types = enumFlag(opts, 'type', '--type', RECOMMENDATION_TYPES);
  if (types !== undefined) query.types = types;
  const priorities = enumFlag(opts, 'priority', '--priority', RECOMMENDATION_PRIORITIES);
  if (priorities !== undefined) query.priorities = priorities;
  const risks = enumFlag(opts, 'risk', '--risk', RECOMMENDATION_RISKS);
  if (risks !== undefined) query.risks = risks;
  const namespace = optionalString(opts, 'namespace');
  if (namespace !== undefined) query.namespace = namespace;
  const cluster = optionalString(opts, 'cluster');
  if (cluster !== undefined) query.cluster = cluster;
  const minCo2e = optionalString(opts, 'minSavingsCo2e');
  if (minCo2e !== undefined)
    query.minMonthlyCo2eGrams = parseFlag('--min-savings-co2e', minCo2e, parseMassGrams);
  if (typeof opts.minSavingsCost === 'number') query.minMonthlyCost = opts.minSavingsCost;
  if (typeof opts.limit === 'number') query.limit = opts.limit;
  return query;
}

/** Kubeadapt's resource types a recommendation can be about (`metadata.resource_type`). */
export const RESOURCE_TYPES = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'CronJob',
  'Job',
  'Pod',
  'Namespace',
  'Host',
] as const;

/** Filters the ledger query has no column for: workload, resource type and the history window. */
interface ExtraFilters {
  workload: string | undefined;
  resourceTypes: string[] | undefined;
  from: Date | undefined;
  to: Date | undefined;
}

function extraFiltersFrom(opts: Record<string, unknown>, zone: string): ExtraFilters {
  const from = optionalString(opts, 'from');
  const to = optionalString(opts, 'to');
  if ((from !== undefined || to !== undefined) && opts.refresh === true) {
    throw new UsageError(
      '--from/--to of `recommendations list` select history; they cannot be combined with --refresh',
      {
        hint: 'Run `carbonctl recommendations generate --from … --to …` to analyse a pinned window.',
      },
    );
  }
  // History bounds are plain instants (a date-only --to is the end of that day), not a window
  // clipped to now: recommendations have timestamps, not usage.
  const fromDate =
    from === undefined
      ? undefined
      : asUsage(() => parseFlag('--from', from, (t) => parseTimeInput(t, zone)));
  const toDate =
    to === undefined
      ? undefined
      : asUsage(() => parseFlag('--to', to, (t) => parseTimeInput(t, zone, { endOfDay: true })));
  if (fromDate !== undefined && toDate !== undefined && fromDate >= toDate) {
    throw new UsageError(`--from ${from} is not before --to ${to}`);
  }
  const types = optionalString(opts, 'resourceType');
  return {
    workload: optionalString(opts, 'workload'),
    resourceTypes:
      types === undefined
        ? undefined
        : parseFlag('--resource-type', types, (text) =>
            parseEnumList(text, RESOURCE_TYPES, '--resource-type'),
          ).map((type) => type.toLowerCase()),
    from: fromDate,
    to: toDate,
  };
}

function matchesExtra(item: ReturnType<typeof recommendationJson>, extra: ExtraFilters): boolean {
  const { workload, resourceTypes, from, to } = extra;
  if (workload !== undefined) {
    const name = item.metadata.resource_name;
    const qualified = `${item.metadata.namespace ?? ''}/${name ?? ''}`;
    if (name !== workload && qualified !== workload) return false;
  }
  if (
    resourceTypes !== undefined &&
    !resourceTypes.includes(item.metadata.resource_type.toLowerCase())
  )
    return false;
  // History (GreenKube): the recommendation existed in [from, to): created before `to`, seen since `from`.
  if (from !== undefined && Date.parse(item.metadata.last_seen_at) < from.getTime()) return false;
  if (to !== undefined && Date.parse(item.metadata.created_at) >= to.getTime()) return false;
  return true;
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  // Validate every filter before anything slow (a --refresh against Prometheus) happens.
  const query = listQueryFrom(invocation.opts);
  const settings = await recommendationSettings(context, invocation, RECOMMENDATIONS_LIST_OPTIONS);
  const extra = extraFiltersFrom(invocation.opts, settings.timezone);
  const filtering =
    extra.workload !== undefined ||
    extra.resourceTypes !== undefined ||
    extra.from !== undefined ||
    extra.to !== undefined;
  // The extra filters run here, so the limit is applied after them.
  const limit = query.limit;
  if (filtering) delete query.limit;
  let refreshFailure: Error | undefined;
  if (invocation.opts.refresh === true) {
    const generated = await generateRecommendations(context, invocation, settings);
    context.io.info(describeGeneration(generated, settings.timezone).trimEnd());
    // A failed cluster was reported; the list still shows what the ledger holds.
    if (generated.failure) refreshFailure = generated.failure;
  }
  let data: RecommendationsListData;
  if (!ledgerExists(settings)) {
    context.io.notice(
      'there are no recommendations yet: run `carbonctl recommendations generate` first',
    );
    data = { data: [], meta: { total: 0 } };
    return {
      data,
      ...(refreshFailure ? { failure: refreshFailure } : {}),
      human: () => [],
      csv: () => recommendationsTable([]),
    };
  }
  const ledger = openRecommendationReader(context, settings);
  const listed = ledger.recommendations.list(query);
  let recommendations = listed.recommendations;
  let total = listed.total;
  if (filtering) {
    recommendations = recommendations.filter((r) => matchesExtra(recommendationJson(r), extra));
    total = recommendations.length;
    if (limit !== undefined) recommendations = recommendations.slice(0, limit);
  }
  if (total === 0) context.io.notice('no recommendation matches the filters');
  data = { data: recommendations.map(recommendationJson), meta: { total } };
  return {
    data,
    ...(refreshFailure ? { failure: refreshFailure } : {}),
    human: () => {
      const blocks: Array<{ table: ReturnType<typeof recommendationsTable> } | { text: string }> =
        [];
      if (recommendations.length > 0) blocks.push({ table: recommendationsTable(recommendations) });
      if (total > recommendations.length) {
        blocks.push({
          text: `(${recommendations.length} of ${total} shown; raise --limit for more)\n`,
        });
      }
      return blocks;
    },
    csv: () => recommendationsTable(recommendations),
  };
}
