/**
 * Power profiles: watts per CPU core when busy and when idle (SPEC §2). `ada` is the Ada
 * Carbon Monitoring API's model; the cloud profiles are Cloud Carbon Footprint's fallback
 * min/max watts per vCPU with CCF's default PUE for that provider.
 */

/** The power profiles a user can choose (`custom` = the numbers given). */
export type PowerProfileName = 'ada' | 'aws' | 'gcp' | 'azure' | 'custom';

/** All profile names, in the order help texts list them. */
export const POWER_PROFILE_NAMES: readonly PowerProfileName[] = [
  'ada',
  'aws',
  'gcp',
  'azure',
  'custom',
];

/** The coefficients of one built-in profile; `defaultPue` is null when the profile implies none. */
export interface PowerProfile {
  busyWattsPerCore: number;
  idleWattsPerCore: number;
  /** Watts per GiB of memory (working set) in use; 0 = memory not counted. */
  memoryWattsPerGiB: number;
  defaultPue: number | null;
  source: string;
}

/**
 * Memory power of the cloud profiles: Cloud Carbon Footprint's 0.392 W per GB (0.000392 kWh per
 * GB-hour: the mean of Crucial's ≈3 W per 8 GB and Micron's DDR4 model; reference/methodology.md
 * §2.1 "Other CCF coefficients", CCF-DOC Methodology.md). CCF applies it to the memory GB the clouds bill, which they
 * quote in GiB, so carbonctl applies it per GiB of working set.
 */
export const CCF_MEMORY_WATTS_PER_GIB = 0.392;

/** Built-in profiles, SPEC §2; coefficients and PUEs from reference/methodology.md §2.1 and §3. */
export const POWER_PROFILES: Readonly<Record<Exclude<PowerProfileName, 'custom'>, PowerProfile>> = {
  ada: {
    busyWattsPerCore: 12,
    idleWattsPerCore: 1,
    memoryWattsPerGiB: 0,
    defaultPue: null,
    source:
      'Ada Carbon Monitoring API default CPU power model (12 W per busy core, 1 W per idle core)',
  },
  aws: {
    busyWattsPerCore: 3.5,
    idleWattsPerCore: 0.74,
    memoryWattsPerGiB: CCF_MEMORY_WATTS_PER_GIB,
    defaultPue: 1.135,
    source:
      'Cloud Carbon Footprint AWS fallback MAX_WATTS_AVG 3.5 / MIN_WATTS_AVG 0.74 W per vCPU, PUE 1.135 ' +
      '(cloud-carbon-footprint/cloud-carbon-footprint, packages/aws/src/domain/AwsFootprintEstimationConstants.ts)',
  },
  gcp: {
    busyWattsPerCore: 4.26,
    idleWattsPerCore: 0.71,
    memoryWattsPerGiB: CCF_MEMORY_WATTS_PER_GIB,
    defaultPue: 1.1,
    source:
      'Cloud Carbon Footprint GCP median 4.26 / 0.71 W per vCPU as published in its methodology docs, PUE 1.1 ' +
      '(cloud-carbon-footprint/cloud-carbon-footprint, microsite/docs/HowItWorks/Methodology.md)',
  },
  azure: {
    busyWattsPerCore: 3.76,
    idleWattsPerCore: 0.78,
    memoryWattsPerGiB: CCF_MEMORY_WATTS_PER_GIB,
    defaultPue: 1.185,
    source:
      'Cloud Carbon Footprint Azure average 3.76 / 0.78 W per vCPU as published in its methodology docs, PUE 1.185 ' +
      '(cloud-carbon-footprint/cloud-carbon-footprint, microsite/docs/HowItWorks/Methodology.md)',
  },
};

/** True when `name` is one of the profile names (for validating flags and config). */
export function isPowerProfileName(name: string): name is PowerProfileName {
  return (POWER_PROFILE_NAMES as readonly string[]).includes(name);
}
