/**
 * A ledger that makes a readable report page: ten owners (one of them named like an HTML
 * injection, one without an owner label) over 2026 Q3, the quarter before (with an owner who
 * has gone since) and the same quarter of 2025, with a daily and weekly rhythm in usage and
 * grid intensity, and some hours priced with a forecast. Built with the hand-computable
 * hourRow of the reader tests, so every figure follows the SPEC §2 formulas.
 */
import { hourRow } from '../commands/ledger-readers.js';
import { openLedger } from '../../src/store/ledger.js';
import type { LedgerHourRow } from '../../src/store/types.js';

/** The owner whose name is markup: it must show as text, never run. */
export const INJECTION_OWNER = '<script>alert("owned")</script><img src=x onerror=alert(1)>';

/** Owners with their relative size (CPU cores) in 2026 Q3. */
export const HTML_OWNERS: ReadonlyArray<{ owner: string | null; cores: number }> = [
  { owner: 'astro-pipeline', cores: 16 },
  { owner: 'climate-sim', cores: 12 },
  { owner: 'genomics', cores: 9 },
  { owner: 'ml-training', cores: 7 },
  { owner: 'hydro-model', cores: 5 },
  { owner: INJECTION_OWNER, cores: 4 },
  { owner: 'teaching', cores: 3 },
  { owner: 'viz-lab', cores: 2 },
  { owner: 'alice', cores: 1 },
  { owner: null, cores: 1 },
];

/** An owner with usage in 2026 Q2 only (vanished in Q3). */
export const VANISHED_OWNER = 'old-survey';

const HOUR_MS = 3_600_000;

/** Grid intensity of an hour: a daily curve (cleaner at night) and a slow seasonal drift. */
function intensityAt(hourIndex: number, seasonShift: number): number {
  const hourOfDay = hourIndex % 24;
  const day = Math.floor(hourIndex / 24);
  return Math.round(
    150 +
      seasonShift +
      70 * Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI) +
      25 * Math.sin(day / 9),
  );
}

function quarterRows(
  from: string,
  days: number,
  options: {
    scale: number;
    seasonShift: number;
    owners: ReadonlyArray<{ owner: string | null; cores: number }>;
  },
): LedgerHourRow[] {
  const start = new Date(from).getTime();
  const rows: LedgerHourRow[] = [];
  for (let hourIndex = 0; hourIndex < days * 24; hourIndex += 1) {
    const hour = new Date(start + hourIndex * HOUR_MS);
    const day = Math.floor(hourIndex / 24);
    const weekday = (hour.getUTCDay() + 6) % 7; // 0 = Monday
    const busyFactor = (weekday >= 5 ? 0.35 : 0.8) * (0.75 + 0.25 * Math.sin(day / 5));
    const intensity = intensityAt(hourIndex, options.seasonShift);
    options.owners.forEach((entry, index) => {
      // The largest owners run every hour; smaller ones every few hours (so the ledger stays small).
      const every = entry.cores >= 7 ? 1 : 3;
      if (hourIndex % every !== index % every) return;
      const cores = entry.cores * options.scale * every;
      const busySeconds = Math.round(
        cores * 3600 * busyFactor * (0.6 + (0.4 * ((index * 7 + day) % 5)) / 4),
      );
      const idleSeconds = Math.round(cores * 3600) - busySeconds;
      rows.push(
        hourRow({
          entityId: `host-${index}`,
          hour: hour.toISOString(),
          busySeconds,
          idleSeconds,
          intensity,
          kind: day % 11 === 3 ? 'forecast' : 'actual',
          // A supply contract's factor: market-based Scope 2 differs from location-based.
          marketFactor: 60,
          labels: {
            ...(entry.owner === null ? {} : { owner: entry.owner }),
            project: `p${index % 3}`,
            machine: 'std',
            host: `host-${index}`,
          },
        }),
      );
    });
  }
  return rows;
}

/** Writes the ledger to `path`: 2025 Q3, 2026 Q2 (with the vanished owner) and 2026 Q3. */
export function writeHtmlReportLedger(path: string): void {
  const q3 = HTML_OWNERS;
  const q2 = [
    ...HTML_OWNERS.filter((entry) => entry.owner !== 'viz-lab'),
    { owner: VANISHED_OWNER, cores: 3 },
  ];
  const ledger = openLedger(path, { clock: () => new Date('2026-11-21T00:00:00Z') });
  try {
    for (const rows of [
      quarterRows('2025-07-01T00:00:00Z', 92, { scale: 1.3, seasonShift: 40, owners: q3 }),
      quarterRows('2026-04-01T00:00:00Z', 91, { scale: 1.1, seasonShift: 10, owners: q2 }),
      quarterRows('2026-07-01T00:00:00Z', 92, { scale: 1, seasonShift: 0, owners: q3 }),
    ]) {
      const end = Math.max(...rows.map((row) => row.hourStart.getTime())) + HOUR_MS;
      ledger.commitChunk('default', 'nodes', rows, new Date(end));
    }
  } finally {
    ledger.close();
  }
}
/** The export flags the HTML tests and the browser test share: 2026 Q3, weekly, by owner. */
export const HTML_REPORT_ARGS = [
  '--from',
  '2026-07-01',
  '--to',
  '2026-09-30',
  '--granularity',
  'weekly',
  '--group-by',
  'owner',
];
