import { afterEach, describe, expect, it, vi } from 'vitest';
import { prometheusBinaries } from '../helpers/prometheus-harness.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('prometheusBinaries', () => {
  it('fails the suite on CI when Prometheus is missing', () => {
    vi.stubEnv('PROMETHEUS_BIN', '/nonexistent/prometheus');
    vi.stubEnv('CI', 'true');
    expect(() => prometheusBinaries()).toThrow(/prometheus not found/);
  });

  it('warns loudly and skips elsewhere', () => {
    vi.stubEnv('PROMETHEUS_BIN', '/nonexistent/prometheus');
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(prometheusBinaries()).toBeNull();
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/SKIPPING Prometheus integration tests: prometheus not found/),
    );
  });

  it('finds executables given explicitly', () => {
    vi.stubEnv('PROMETHEUS_BIN', process.execPath);
    vi.stubEnv('PROMTOOL_BIN', process.execPath);
    expect(prometheusBinaries()).toEqual({
      prometheus: process.execPath,
      promtool: process.execPath,
    });
  });
});
