/** `carbonctl track`: from Prometheus into the ledger (SPEC §5). */
import {
  INTENSITY_OPTIONS,
  LEDGER_OPTION,
  POWER_OPTIONS,
  type OptionSpec,
  httpUrl,
} from '../options.js';
import type { CommandSpec } from '../spec.js';

export const TRACK_OPTIONS: OptionSpec[] = [
  {
    flags: '--prometheus-url <url>',
    parse: httpUrl,
    description: 'Prometheus-compatible query URL (env CARBONCTL_PROMETHEUS_URL)',
  },
  { flags: '--cluster <name>', description: 'track this configured cluster only' },
  { flags: '--all-clusters', description: 'track every configured cluster (the default)' },
  {
    flags: '--source <source>',
    description:
      'nodes (node_exporter) or pods (cAdvisor + kube-state-metrics); default from config, auto-detected',
    choices: ['nodes', 'pods'],
  },
  { flags: '--from <time>', description: 'backfill from, YYYY-MM-DD or ISO 8601 (alias --start)' },
  {
    flags: '--to <time>',
    description: 'backfill to (exclusive; a date means the end of that day) (alias --end)',
  },
  { flags: '--start <time>', description: 'alias of --from', hidden: true },
  { flags: '--end <time>', description: 'alias of --to', hidden: true },
  {
    flags: '--last <duration>',
    description: 'the last duration up to the last complete hour, e.g. 24h, 7d',
  },
  { flags: '--dry-run', description: 'fetch and compute, but write nothing to the ledger' },
  {
    flags: '--strict',
    description:
      "exit 5 when coverage is below 100 %: an hour without any samples, or scrape samples missing between a series' first and last (gaps are booked, flagged gap_interpolated, but not counted as sampled)",
  },
  {
    flags: '--allow-estimates',
    description:
      'for hours without a usable provider value (0, negative, > 2000 g/kWh, missing), use the static annual average (flagged) instead of exit 3',
  },
  {
    flags: '--lock-wait <seconds>',
    description: 'how long to wait for another track run on the same ledger (default 30)',
  },
  LEDGER_OPTION,
  ...INTENSITY_OPTIONS,
  ...POWER_OPTIONS,
];

export const trackCommand: CommandSpec = {
  name: 'track',
  description:
    'Read CPU usage from Prometheus into the ledger, hour by hour (idempotent, resumable)',
  options: TRACK_OPTIONS,
  examples: [
    'carbonctl track --prometheus-url http://prometheus:9090          # last tracked hour → last complete hour',
    'carbonctl track --cluster hpc --from 2025-01-01 --to 2025-03-31   # backfill',
    'carbonctl track --last 24h --dry-run -o json',
  ],
  load: () => import('./track.js'),
};
