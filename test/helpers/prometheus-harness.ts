/**
 * A real Prometheus for integration tests (SPEC §12 "Real parts"): OpenMetrics fixtures are
 * backfilled with `promtool tsdb create-blocks-from openmetrics` into a temporary data directory
 * and a Prometheus that scrapes nothing serves them on 127.0.0.1.
 *
 * When the binaries are missing: on CI (`CI` set) that is a failure; elsewhere the suite warns
 * loudly and skips, so a laptop without Prometheus can still run the unit tests.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Paths of the two binaries the harness needs. */
export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

/** What to load into the test Prometheus. */
export interface StartPrometheusOptions {
  /** OpenMetrics files (ending in `# EOF`), each backfilled separately. */
  openMetricsFiles?: string[];
  /** OpenMetrics text, written to a temporary file and backfilled. */
  openMetricsText?: string;
  /** promtool's `--max-block-duration` (default 24h): fewer passes over big inputs. */
  maxBlockDuration?: string;
  /** Extra Prometheus flags, e.g. `--query.lookback-delta=1m`. */
  extraFlags?: string[];
}

/** A running test Prometheus. */
export interface TestPrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Version string reported by `prometheus --version`, e.g. `2.42.0+ds`. */
  version: string;
  /** Stops the server and deletes its data directory. */
  close(): Promise<void>;
}

const BANNER_LINE = '!'.repeat(78);

function findOnPath(name: string, override: string | undefined): string | null {
  const candidates =
    override !== undefined && override !== ''
      ? [override]
      : [
          ...(process.env['PATH'] ?? '')
            .split(delimiter)
            .filter((dir) => dir !== '')
            .map((dir) => join(dir, name)),
          join('/usr/bin', name),
          join('/usr/local/bin', name),
        ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next one.
    }
  }
  return null;
}

/**
 * The binaries (`PROMETHEUS_BIN` / `PROMTOOL_BIN` override the lookup), or null after a loud
 * warning. Throws when they are missing and `CI` is set: the integration suite must not pass
 * silently on CI without having run.
 */
export function prometheusBinaries(): PrometheusBinaries | null {
  const prometheus = findOnPath('prometheus', process.env['PROMETHEUS_BIN']);
  const promtool = findOnPath('promtool', process.env['PROMTOOL_BIN']);
  if (prometheus !== null && promtool !== null) return { prometheus, promtool };
  const missing = [prometheus === null ? 'prometheus' : null, promtool === null ? 'promtool' : null]
    .filter(Boolean)
    .join(' and ');
  const message = `${missing} not found: the Prometheus integration tests need them (Debian/Ubuntu: apt-get install prometheus; or set PROMETHEUS_BIN/PROMTOOL_BIN)`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') throw new Error(message);
  console.warn(
    `\n${BANNER_LINE}\n!! SKIPPING Prometheus integration tests: ${message}\n${BANNER_LINE}\n`,
  );
  return null;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Children still running, killed if the test process exits without closing them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  running.add(child);
  child.on('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const leftover of running) leftover.kill('SIGKILL');
    });
  }
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
    sleep(ms).then(() => false),
  ]);
}

/**
 * Backfills the fixtures into a temporary TSDB and starts Prometheus on a free loopback port,
 * resolving once `/-/ready` answers. Use one per test file (beforeAll) and `close()` it after.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<TestPrometheus> {
  const binaries = prometheusBinaries();
  if (binaries === null)
    throw new Error('Prometheus binaries are missing; guard the suite with prometheusBinaries()');
  const workDir = mkdtempSync(join(tmpdir(), 'carbonctl-prom-'));
  const dataDir = join(workDir, 'data');
  const cleanup = (): void => rmSync(workDir, { recursive: true, force: true });

  try {
    const files = [...(options.openMetricsFiles ?? [])];
    if (options.openMetricsText !== undefined) {
      const file = join(workDir, 'fixture.om');
      writeFileSync(file, options.openMetricsText);
      files.push(file);
    }
    for (const file of files) {
      const result = await run(binaries.promtool, [
        'tsdb',
        'create-blocks-from',
        'openmetrics',
        '--quiet',
        `--max-block-duration=${options.maxBlockDuration ?? '24h'}`,
        file,
        dataDir,
      ]);
      if (result.code !== 0)
        throw new Error(
          `promtool failed on ${file} (exit ${result.code}):\n${result.output.slice(-4000)}`,
        );
    }

    const configFile = join(workDir, 'prometheus.yml');
    // No scrape_configs: the server serves the backfilled blocks and nothing else.
    writeFileSync(configFile, 'global:\n  scrape_interval: 15s\n');
    const version =
      (await run(binaries.prometheus, ['--version'])).output.match(/version (\S+)/)?.[1] ??
      'unknown';

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = spawn(
        binaries.prometheus,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${dataDir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // The fixtures lie in the past; without this they would be deleted as expired.
          '--storage.tsdb.retention.time=100y',
          '--log.level=warn',
          ...(options.extraFlags ?? []),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      trackChild(child);
      let log = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-8000);
      });
      const ready = await waitReady(url, child, 60_000);
      if (ready) {
        return {
          url,
          version,
          close: async () => {
            child.kill('SIGTERM');
            if (!(await waitForExit(child, 10_000))) {
              child.kill('SIGKILL');
              await waitForExit(child, 5_000);
            }
            cleanup();
          },
        };
      }
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
      // Another process may have taken the port between our check and Prometheus's bind.
      if (attempt >= 3 || !/address already in use/i.test(log)) {
        throw new Error(`Prometheus did not become ready at ${url}:\n${log}`);
      }
    }
  } catch (error) {
    cleanup();
    throw error;
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return true;
      await response.body?.cancel();
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return false;
}
