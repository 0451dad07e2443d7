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

  it('old data (newest samples 3 days before now) is a warning with its age and the right advice, exit 0', async () => {
    const now = new Date(fixtureEnd.getTime() + 3 * 86_400_000);
    const result = await run(['doctor', '-o', 'json'], {
      env: { CARBONCTL_PROMETHEUS_URL: prometheus.url, CARBONCTL_INTENSITY_URL: intensity.url },
      now,
      dir: tempDir(),
    });
    const data = JSON.parse(result.stdout);
    const byName = new Map(
      data.checks.map((c: { check: string; status: string; detail: string; fix: string }) => [
        c.check.trim(),
        c,
      ]),
    );
    const node = byName.get('node_cpu_seconds_total') as {
      status: string;
      detail: string;
      fix: string;
    };
    expect(node.status).toBe('warn');
    expect(node.detail).toMatch(
      /^[1-9][\d,]* series in the last 30 days, none now: newest sample 3 d old/,
    );
    // The newest sample, to the minute (the fixture's last sample is one scrape before its end).
    const newest = /about (\S+)\)/.exec(node.detail)?.[1] ?? '';
    expect(Math.abs(Date.parse(newest) - fixtureEnd.getTime())).toBeLessThanOrEqual(2 * 60_000);
    expect(node.fix).toContain('stopped receiving');
    expect(node.fix).toContain('carbonctl track --from');
    expect(byName.get('source')).toBeUndefined();
    // How the cluster is accounted: auto and not decided yet (no ledger).
    expect(byName.get('accounted as')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('auto, not decided yet'),
    });
    expect(result.code).toBe(0);
    expect(data.ok).toBe(true);
  });

  it('metrics absent for the whole look-back are a fail, exit 3', async () => {
    const result = await run(['doctor', '-o', 'json'], {
      env: { CARBONCTL_PROMETHEUS_URL: prometheus.url, CARBONCTL_INTENSITY_URL: intensity.url },
      now: new Date(fixtureEnd.getTime() + 45 * 86_400_000),
      dir: tempDir(),
    });
    const data = JSON.parse(result.stdout);
    const source = data.checks.find((c: { check: string }) => c.check.trim() === 'source');
    expect(source).toMatchObject({ status: 'fail' });
    expect(result.code).toBe(3);
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
