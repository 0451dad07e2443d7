/**
 * The accounting pipeline as a command sees it: built once per run with the command's context
 * and (when there is one) the ledger that caches intensities and keeps source decisions, so every
 * command asks for hourly intensities and a cluster's source the same way.
 */
import type { Context } from '../context.js';
import type { UsageSource } from '../core/usage.js';
import type { PrometheusClient } from '../providers/prometheus/client.js';
import type { Ledger } from '../store/types.js';
import {
  resolveHourlyIntensities,
  type HourlyIntensities,
  type IntensityRequest,
} from './intensity.js';
import type { ClusterProfile } from './profile.js';
import { decideSource, type SourceChoice } from './source.js';

/** Hourly intensities and source decisions for one command run. */
export class AccountingPipeline {
  /**
   * @param ledger the ledger that caches intensities and keeps source decisions, or null
   * @param persistDecisions whether this command may store a source decision (track, budget check)
   */
  constructor(
    private readonly context: Context,
    readonly ledger: Ledger | null,
    private readonly persistDecisions: boolean,
  ) {}

  /** The intensity of every hour of `window` for the profile, by SPEC §2's chain. */
  intensities(
    profile: ClusterProfile,
    window: { from: Date; to: Date },
    request: IntensityRequest,
  ): Promise<HourlyIntensities> {
    return resolveHourlyIntensities(
      {
        http: () => this.context.http(),
        now: this.context.now(),
        cache: this.ledger,
        warn: (message) => this.context.io.warn(message),
      },
      profile,
      window,
      request,
    );
  }

  /** The source the cluster is accounted as for metering `window` (flag > config > stored > the window's data). */
  source(
    client: PrometheusClient,
    profile: ClusterProfile,
    window: { from: Date; to: Date },
    options: { flag?: UsageSource | undefined; preferred?: UsageSource | undefined } = {},
  ): Promise<SourceChoice> {
    return decideSource(
      {
        client,
        store: this.ledger,
        persist: this.persistDecisions && this.ledger !== null,
        now: this.context.now(),
        notice: (message) => this.context.io.notice(message),
      },
      profile,
      window,
      options.flag,
      options.preferred,
    );
  }
}
