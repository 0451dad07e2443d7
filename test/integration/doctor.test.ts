/** `doctor` against a real Prometheus (fixture data), a dead one, and a loopback intensity API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { generatePromFixtureText } from '../helpers/prom-fixtures.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';

const binaries = prometheusBinaries();

describe.skipIf(binaries === null)('doctor', () => {
  let prometheus: TestPrometheus;
  let intensity: LoopbackServer;
  let fixtureEnd: Date;
  beforeAll(async () => {
    const { text, fixture } = generatePromFixtureText({ hours: 6 });
    fixtureEnd = fixture.end;
    prometheus = await startPrometheus({ openMetricsText: text });
    intensity = await startLoopbackServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          data: [
            {
              from: '2025-01-06T05:30Z',
              to: '2025-01-06T06:00Z',
              intensity: { forecast: 120, actual: 118, index: 'moderate' },
            },
          ],
        }),
      );
    });
  });
  afterAll(async () => {
    await prometheus?.close();
    await intensity?.close();
  });

  it('reports ok for the config, the Prometheus version and each metric with its series count', async () => {
    const result = await run(['doctor', '-o', 'json'], {
      env: { CARBONCTL_PROMETHEUS_URL: prometheus.url, CARBONCTL_INTENSITY_URL: intensity.url },
      now: new Date(fixtureEnd.getTime() - 60_000),
      dir: tempDir(),
    });
    const data = JSON.parse(result.stdout);
    const byName = new Map(data.checks.map((c: { check: string }) => [c.check.trim(), c]));
    expect(byName.get('config')).toMatchObject({ status: 'ok' });
    expect(byName.get('ledger')).toMatchObject({ status: 'warn' }); // not created yet: run track
    expect(byName.get('prometheus default')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(prometheus.version.split('+')[0]!),
    });
    expect(byName.get('node_cpu_seconds_total')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^[1-9][\d,]* series$/),
    });
    expect(byName.get('container_cpu_usage_seconds_total')).toMatchObject({ status: 'ok' });
    expect(byName.get('intensity')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('118 g/kWh actual'),
    });
    expect(result.code).toBe(0);
    expect(data.ok).toBe(true);
  });

  it('a dead Prometheus is a fail line with the fix, and exit 3', async () => {
    const result = await run(['doctor'], {
      env: {
        CARBONCTL_PROMETHEUS_URL: 'http://127.0.0.1:9',
        CARBONCTL_INTENSITY_URL: intensity.url,
      },
      now: new Date(fixtureEnd.getTime() - 60_000),
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/fail\s+prometheus default/);
    expect(result.stderr).toContain('check');
  });
});
