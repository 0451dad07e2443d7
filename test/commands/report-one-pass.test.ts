/**
 * `report export` reads the period × group aggregate once when it is small enough to hold and
 * takes the group list from it; a larger one is streamed after a separate group query. Both
 * paths must give the same groups and byte-identical files, for every dimension.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { csvChunks, planReport, prepareReport } from '../../src/commands/report/plan.js';
import { settingsSchema } from '../../src/config/schema.js';
import { REPORT_GROUP_BYS } from '../../src/core/report.js';
import { openLedger } from '../../src/store/ledger.js';
import type { Ledger, LedgerHourRow } from '../../src/store/types.js';
import { removeDir, tempDir } from '../helpers/context.js';
import { fillLedger } from '../helpers/ledger-fixture.js';
import { hourRow } from './ledger-readers.js';

let dir: string;
let ledger: Ledger;

beforeAll(() => {
  dir = tempDir();
  ledger = openLedger(join(dir, 'ledger.db'), { clock: () => new Date('2026-02-01T00:00:00Z') });
  fillLedger(ledger, {
    entities: 12,
    from: new Date('2025-11-30T20:00:00Z'),
    hours: 24 * 40,
    chunkHours: 24,
    seed: 5,
  });
  // Pods of two workloads, one of whose kind changes (the range-wide kind is the least).
  const pods: LedgerHourRow[] = ['ReplicaSet', 'StatefulSet', 'Deployment'].map((kind, index) =>
    hourRow({
      entityId: `pod-${index}`,
      hour: `2025-12-0${index + 2}T10:00:00Z`,
      busySeconds: 600 + index,
      idleSeconds: 3000,
      intensity: 200,
      labels: {
        namespace: 'ml',
        workload: index === 1 ? 'train' : 'serve',
        workloadKind: kind,
        pod: `pod-${index}`,
      },
      cluster: 'k8s',
      source: 'pods',
    }),
  );
  ledger.commitChunk('k8s', 'pods', pods, new Date('2025-12-05T00:00:00Z'));
});

afterAll(() => {
  ledger.close();
  removeDir(dir);
});

describe('report export: one pass over the rows when the output is small', () => {
  for (const groupBy of REPORT_GROUP_BYS) {
    for (const granularity of ['monthly', 'weekly'] as const) {
      it(`${groupBy}, ${granularity}: held and streamed give the same groups and file`, () => {
        const settings = settingsSchema.parse({});
        const plan = planReport(
          { from: '2025-12-01', to: '2026-01-05', granularity, groupBy, format: 'csv' },
          settings,
          new Date('2026-02-01T00:00:00Z'),
          false,
        );
        const held = prepareReport(ledger, plan);
        const streamed = prepareReport(ledger, plan, { heldRowsAtMost: 0 });
        if (groupBy === 'none' || groupBy === 'cluster') expect(held.heldRows).toBeNull();
        else expect(held.heldRows).not.toBeNull();
        expect(streamed.heldRows).toBeNull();
        expect(held.groups).toEqual(streamed.groups);
        expect(held.groups.length).toBeGreaterThan(0);
        const file = [...csvChunks(ledger, held)].join('');
        expect(file).toBe([...csvChunks(ledger, streamed)].join(''));
        expect(file.split('\n').length - 2).toBe(held.rowCount);
      });
    }
  }

  it('bounds the groups of a dimension by the values ever recorded, without reading hour rows', () => {
    expect(ledger.groupBound('owner')).toBe(12); // user00..user11; pods have no owner
    expect(ledger.groupBound('entity')).toBe(15);
    expect(ledger.groupBound('cluster')).toBe(2);
    expect(ledger.groupBound('workload')).toBe(2);
    expect(ledger.groupBound('namespace')).toBe(1);
  });

  it('names a workload with its least kind over the range, as the range-wide query does', () => {
    const plan = planReport(
      { from: '2025-12-01', to: '2026-01-01', granularity: 'daily', groupBy: 'workload' },
      settingsSchema.parse({}),
      new Date('2026-02-01T00:00:00Z'),
      false,
    );
    const held = prepareReport(ledger, plan);
    expect(held.heldRows).not.toBeNull();
    expect(held.groups).toContainEqual({ value: 'ml/serve', workloadKind: 'Deployment' });
    expect(held.groups).toContainEqual({ value: 'ml/train', workloadKind: 'StatefulSet' });
  });
});
