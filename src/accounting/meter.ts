/**
 * The meter: one cluster and one window in, priced entity-hours with provenance out, to a sink.
 * Usage comes from the cluster's Prometheus through the exact counter maths
 * (providers/prometheus/usage.ts, core/counters.ts) with the cluster's scrape interval and gap
 * limit; each entity-hour is priced with core's footprint at its hour's intensity
 * ({@link HourlyIntensities}). `track` (the ledger), `budget check` (window sums), `clusters`
 * (run rate) and `recommendations` (baselines) are sinks — none of them meters on its own.
 */
import {
  computeFootprint,
  METHODOLOGY_VERSION,
  type Footprint,
  type MethodologyFactors,
} from '../core/methodology.js';
import { HOUR_MS } from '../core/hours.js';
import type { HourIntensity } from '../core/intensity.js';
import { fillLabels, withinLife } from '../core/workspaces.js';
import type { EntityHourUsage, UsageSource } from '../core/usage.js';
import type { PrometheusClient } from '../providers/prometheus/client.js';
import type { MatcherText } from '../providers/prometheus/promql.js';
import type { ChunkQuality } from '../providers/prometheus/usage.js';
import type { LedgerHourRow } from '../store/types.js';
import type { HourlyIntensities } from './intensity.js';
import type { ClusterProfile } from './profile.js';

/** SPEC §2 reason for hours whose usage was interpolated across a gap. */
export const GAP_INTERPOLATED = 'gap_interpolated';

/** One entity-hour priced: its ledger row, the usage it came from and its footprint. */
export interface PricedHour {
  row: LedgerHourRow;
  usage: EntityHourUsage;
  footprint: Footprint;
}

/** Receives each chunk's priced entity-hours and the end of the hours the chunk covers. */
export type MeterSink = (hours: PricedHour[], chunkEnd: Date) => void | Promise<void>;

/** What to meter. */
export interface MeterRequest {
  profile: ClusterProfile;
  source: UsageSource;
  /** Whole UTC hours `[from, to)`. */
  window: { from: Date; to: Date };
  /** Further label matchers (a budget's `--namespace`, `--owner`, …), already escaped. */
  matchers?: readonly MatcherText[];
  intensities: HourlyIntensities;
}

/** Prices one entity-hour at its hour's intensity (SPEC §2), with every estimation reason. */
export function priceEntityHour(
  cluster: string,
  usage: EntityHourUsage,
  intensity: HourIntensity & { provider: string; region: string },
  factors: MethodologyFactors,
): PricedHour {
  const footprint = computeFootprint(
    {
      busySeconds: usage.busySeconds,
      idleSeconds: usage.idleSeconds,
      memoryGiBHours: usage.memoryGiBHours,
    },
    intensity.gPerKwh,
    factors,
  );
  const reasons = [
    ...new Set([
      ...footprint.estimationReasons,
      ...intensity.reasons,
      ...(usage.gapInterpolated ? [GAP_INTERPOLATED] : []),
    ]),
  ].sort();
  const row: LedgerHourRow = {
    cluster,
    source: usage.source,
    entityId: usage.entityId,
    hourStart: usage.hourStart,
    busySeconds: usage.busySeconds,
    idleSeconds: usage.idleSeconds,
    reservedCoreSeconds: usage.reservedCoreSeconds,
    memoryGiBHours: usage.memoryGiBHours,
    coverage: usage.coverage,
    labels: usage.labels,
    intensityGPerKwh: intensity.gPerKwh,
    intensityProvider: intensity.provider,
    intensityKind: intensity.kind,
    region: intensity.region,
    powerProfile: factors.power.profile,
    busyWattsPerCore: factors.power.busyWattsPerCore,
    idleWattsPerCore: factors.power.idleWattsPerCore,
    memoryWattsPerGiB: factors.power.memoryWattsPerGiB,
    pue: factors.pue,
    embodiedGramsPerCoreHour: factors.embodiedGramsPerCoreHour,
    marketFactorGPerKwh: factors.marketFactorGPerKwh,
    currency: factors.cost.currency,
    energyItKwh: footprint.energy.itKwh,
    energyKwh: footprint.energy.totalKwh,
    scope2LocationGrams: footprint.scope2LocationGrams,
    scope2MarketGrams: footprint.scope2MarketGrams,
    scope3Grams: footprint.scope3EmbodiedGrams,
    cost: footprint.cost,
    isEstimated: reasons.length > 0,
    estimationReasons: reasons,
    methodologyVersion: METHODOLOGY_VERSION,
  };
  return { row, usage, footprint };
}

/**
 * How complete a metered window is (SPEC §5 coverage): the share of the window's hours with any
 * samples, and the share of expected scrape samples that were there (a missed scrape, an
 * outage). The coverage is the worse of the two.
 */
export class MeterQuality {
  windowHours = 0;
  private readonly hours = new Set<number>();
  private mergedHoursWithData = 0;
  sampledSteps = 0;
  expectedSteps = 0;
  /** Entity-hours whose usage was interpolated across a gap. */
  interpolatedEntityHours = 0;
  entityHours = 0;

  /** Adds what one chunk brought. */
  note(hours: readonly EntityHourUsage[], quality: ChunkQuality): void {
    for (const hour of hours) {
      this.hours.add(hour.hourStart.getTime());
      this.entityHours += 1;
      if (hour.gapInterpolated) this.interpolatedEntityHours += 1;
    }
    this.sampledSteps += quality.sampledSteps;
    this.expectedSteps += quality.expectedSteps;
  }

  /** Adds another cluster's quality. */
  merge(other: MeterQuality): void {
    this.windowHours += other.windowHours;
    this.mergedHoursWithData += other.hoursWithData;
    this.sampledSteps += other.sampledSteps;
    this.expectedSteps += other.expectedSteps;
    this.interpolatedEntityHours += other.interpolatedEntityHours;
    this.entityHours += other.entityHours;
  }

  /** Hours (of each cluster's window) with samples of some entity. */
  get hoursWithData(): number {
    return this.hours.size + this.mergedHoursWithData;
  }

  /** Hours of the window without any sample of any entity. */
  get hoursWithoutData(): number {
    return Math.max(0, this.windowHours - this.hoursWithData);
  }

  /** 0..100: min(hours with data / hours, samples present / samples expected). */
  get coveragePercent(): number {
    const hourShare = this.windowHours === 0 ? 1 : this.hoursWithData / this.windowHours;
    const sampleShare = this.expectedSteps === 0 ? 1 : this.sampledSteps / this.expectedSteps;
    return Math.min(hourShare, sampleShare) * 100;
  }

  /** What is missing, in words (for `--strict` and notices); empty when complete. */
  gaps(): string[] {
    const missingSamples = this.expectedSteps - this.sampledSteps;
    return [
      this.hoursWithoutData > 0 ? `${this.hoursWithoutData} hour(s) without any samples` : null,
      missingSamples > 0
        ? `${missingSamples} of ${this.expectedSteps} expected samples missing (${this.interpolatedEntityHours} entity-hour(s) interpolated across gaps, flagged gap_interpolated)`
        : null,
    ].filter((text): text is string => text !== null);
  }
}

/** Meters one cluster over a window, handing each chunk's priced entity-hours to `sink`. */
export async function meterCluster(
  client: PrometheusClient,
  request: MeterRequest,
  sink: MeterSink,
): Promise<MeterQuality> {
  const { profile, source, window, intensities } = request;
  const cluster = profile.cluster;
  const name = profile.name ?? 'default';
  const quality = new MeterQuality();
  quality.windowHours = Math.max(0, (window.to.getTime() - window.from.getTime()) / HOUR_MS);
  if (quality.windowHours === 0) return quality;
  const { fetchNodeUsage, fetchPodUsage } = await import('../providers/prometheus/usage.js');
  // Workspaces: the inventory fills missing owner/project/machine and bounds each one's life.
  const inventoryPath = source === 'nodes' ? (cluster?.workspaces.inventory ?? null) : null;
  const inventory =
    inventoryPath === null
      ? null
      : (await import('../config/inventory.js')).readInventory(inventoryPath);
  const onHours = async (
    fetched: EntityHourUsage[],
    chunkEnd: Date,
    chunkQuality: ChunkQuality,
  ): Promise<void> => {
    const hours =
      inventory === null
        ? fetched
        : fetched.flatMap((usage) => {
            const entry = inventory.get(usage.entityId);
            if (!withinLife(entry, usage.hourStart.getTime())) return [];
            return [{ ...usage, labels: fillLabels(usage.labels, entry) }];
          });
    quality.note(hours, chunkQuality);
    const priced = hours.map((usage) =>
      priceEntityHour(
        name,
        usage,
        {
          ...intensities.at(usage.hourStart.getTime()),
          provider: intensities.provider,
          region: intensities.region,
        },
        profile.factors,
      ),
    );
    await sink(priced, chunkEnd);
  };
  const common = {
    stepSeconds: profile.scrapeIntervalSeconds,
    maxGapSeconds: profile.maxGapHours * 3600,
    matchers: request.matchers ?? [],
  };
  if (source === 'nodes') {
    const workspaces = cluster?.workspaces;
    await fetchNodeUsage(
      client,
      {
        hostLabel: workspaces?.hostLabel ?? 'instance',
        projectLabel: workspaces?.projectLabel ?? 'cloud_project_name',
        machineLabel: workspaces?.machineLabel ?? 'machine_name',
        ownerLabel: workspaces?.ownerLabel ?? 'owner',
        selector: workspaces?.selector ?? '',
        idleModes: profile.idleModes,
        ...common,
      },
      window,
      onHours,
    );
  } else {
    await fetchPodUsage(client, { selector: '', ...common }, window, onHours);
  }
  return quality;
}
