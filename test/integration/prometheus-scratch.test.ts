import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../src/providers/http.js';
import { PrometheusClient } from '../../src/providers/prometheus/client.js';
import { fetchNodeUsage, fetchPodUsage, DEFAULT_NODE_SETTINGS } from '../../src/providers/prometheus/usage.js';
import type { EntityHourUsage } from '../../src/core/usage.js';
import { writePromFixtureFiles } from '../helpers/prom-fixtures.js';
import { startPrometheus } from '../helpers/prometheus-harness.js';

describe('scratch', () => {
  it('runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratch-'));
    const { files, fixture } = writePromFixtureFiles(join(dir, 'f.om'), { sliceHours: 2 }); console.log(files);
    const prom = await startPrometheus({ openMetricsFiles: files });
    const http = new HttpClient({ userAgent: 'x' });
    const client = new PrometheusClient({ name: 'default', url: prom.url, token: null, username: null, password: null, headers: {}, caFile: null, insecureSkipVerify: false, timeoutSeconds: 30 }, { http, trace: (l) => console.log(l.slice(0, 300)) });
    const rows: EntityHourUsage[] = [];
    await fetchNodeUsage(client, { ...DEFAULT_NODE_SETTINGS, selector: 'job="node"' }, { from: fixture.start, to: fixture.end }, (h, e) => { rows.push(...h); console.log('chunk', e.toISOString(), h.length); });
    await fetchPodUsage(client, { selector: '' }, { from: fixture.start, to: fixture.end }, (h, e) => { rows.push(...h); console.log('chunk', e.toISOString(), h.length); });
    const key = (r: EntityHourUsage) => `${r.source} ${r.entityId} ${r.hourStart.toISOString()}`;
    const got = new Map(rows.map(r => [key(r), r]));
    for (const t of fixture.truth) {
      const g = got.get(key(t));
      const fmt = (r?: EntityHourUsage) => r ? `busy=${r.busySeconds.toFixed(3)} idle=${r.idleSeconds.toFixed(3)} res=${r.reservedCoreSeconds} mem=${r.memoryGiBHours.toFixed(5)} cov=${r.coverage.toFixed(4)} ${JSON.stringify(r.labels)}` : 'MISSING';
      const same = g && Math.abs(g.busySeconds - t.busySeconds) < 1e-6 && Math.abs(g.idleSeconds - t.idleSeconds) < 1e-6 && Math.abs(g.memoryGiBHours - t.memoryGiBHours) < 1e-9 && Math.abs(g.coverage - t.coverage) < 1e-9 && JSON.stringify(g.labels) === JSON.stringify(t.labels);
      if (!same) console.log('DIFF', key(t), '\n  truth', fmt(t), '\n  got  ', fmt(g));
      got.delete(key(t));
    }
    for (const [k, g] of got) console.log('EXTRA', k, g.busySeconds, JSON.stringify(g.labels));
    await http.close();
    await prom.close();
  }, 120000);
});
