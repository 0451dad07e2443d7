import { describe, it, expect } from 'vitest';
import { POWER_PROFILES, POWER_PROFILE_NAMES, isPowerProfileName } from '../../src/core/power.js';

describe('POWER_PROFILES', () => {
  it('holds the SPEC §2 watts per core and default PUEs', () => {
    expect(POWER_PROFILES.ada).toMatchObject({
      busyWattsPerCore: 12,
      idleWattsPerCore: 1,
      defaultPue: null,
    });
    expect(POWER_PROFILES.aws).toMatchObject({
      busyWattsPerCore: 3.5,
      idleWattsPerCore: 0.74,
      memoryWattsPerGiB: 0.392,
      defaultPue: 1.135,
    });
    expect(POWER_PROFILES.ada.memoryWattsPerGiB).toBe(0);
    expect(POWER_PROFILES.gcp.memoryWattsPerGiB).toBe(0.392);
    expect(POWER_PROFILES.azure.memoryWattsPerGiB).toBe(0.392);
    expect(POWER_PROFILES.gcp).toMatchObject({
      busyWattsPerCore: 4.26,
      idleWattsPerCore: 0.71,
      defaultPue: 1.1,
    });
    expect(POWER_PROFILES.azure).toMatchObject({
      busyWattsPerCore: 3.76,
      idleWattsPerCore: 0.78,
      defaultPue: 1.185,
    });
  });

  it('cites Cloud Carbon Footprint for the cloud profiles', () => {
    for (const name of ['aws', 'gcp', 'azure'] as const) {
      expect(POWER_PROFILES[name].source).toContain('Cloud Carbon Footprint');
    }
    expect(POWER_PROFILES.ada.source).toContain('Ada');
  });

  it('recognises exactly the five profile names', () => {
    expect(POWER_PROFILE_NAMES).toEqual(['ada', 'aws', 'gcp', 'azure', 'custom']);
    expect(isPowerProfileName('custom')).toBe(true);
    expect(isPowerProfileName('alibaba')).toBe(false);
  });
});
