/**
 * The one Context, built once per process (STYLE.md §2): io, clock, environment, settings,
 * HTTP, providers and the ledger — each built lazily so `--version` loads almost nothing.
 * Nothing deeper than a command reads process.env, process.stdout or the clock.
 */
import type { IOStreams } from './io/streams.js';
import type { ResolvedSettings, SettingOverride } from './config/resolve.js';
import type { HttpClient } from './providers/http.js';
import type { Prompter } from './io/prompter.js';
import type { HandledSignal } from './errors.js';

/** Waits `ms` milliseconds, resolving early when `signal` aborts (the sleeper port). */
export type Sleeper = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Subscribes to SIGINT/SIGTERM for as long as a command wants them; returns the unsubscribe. */
export type SignalSource = (listener: (signal: HandledSignal) => void) => () => void;

/** What a command may ask for when resolving its settings. */
export interface SettingsRequest {
  flags?: SettingOverride[];
  prometheusFlags?: Array<{ key: string; value: string; name: string }>;
  cluster?: string | undefined;
}

/** Everything a command needs from the outside world. */
export interface Context {
  readonly io: IOStreams;
  readonly env: Record<string, string | undefined>;
  readonly version: string;
  /** The current instant (injected: tests pass a fixed clock). */
  now(): Date;
  /** Waits (injected: tests advance their clock instead of sleeping). */
  sleep: Sleeper;
  /** SIGINT/SIGTERM while a command handles them itself (`wait`, `run`). */
  onSignal: SignalSource;
  /** The config file this run reads and writes. */
  configFile(): { path: string; explicit: boolean };
  /** Effective settings for this command: flags > env > file > defaults. */
  settings(request?: SettingsRequest): Promise<ResolvedSettings>;
  /** The shared HTTP client (undici), created on first use. */
  http(): Promise<HttpClient>;
  /** The interactive prompter (only valid when io.canPrompt). */
  prompter(): Promise<Prompter>;
  /** Close whatever was opened (HTTP pools, ledgers). */
  dispose(): Promise<void>;
  /** Register something to close at the end of the run. */
  onDispose(close: () => void | Promise<void>): void;
}

/** Inputs for building a context; tests pass in-memory streams and a fixed clock. */
export interface ContextInit {
  io: IOStreams;
  env: Record<string, string | undefined>;
  version: string;
  now: () => Date;
  /** The sleeper port (default: a real timer). */
  sleep?: Sleeper;
  /** The signal port (default: none; main.ts passes the process's signals). */
  onSignal?: SignalSource;
  /** Default config/ledger locations (user dirs, or a temp dir in tests). */
  defaults: () => { configFile: string; ledgerFile: string };
  /** Where `--config` pointed, once commander has parsed it. */
  configFlag?: () => string | undefined;
  /** Make the prompter; tests inject scripted answers. */
  makePrompter?: () => Promise<Prompter>;
  /** HTTP client options for tests (e.g. fast retries). */
  httpOptions?: { sleep?: (ms: number) => Promise<void> };
}

/** Build the context with lazy parts. */
export function createContext(init: ContextInit): Context {
  let http: HttpClient | undefined;
  let prompter: Prompter | undefined;
  const disposers: Array<() => void | Promise<void>> = [];
  let defaults: { configFile: string; ledgerFile: string } | undefined;
  const getDefaults = (): { configFile: string; ledgerFile: string } =>
    (defaults ??= init.defaults());

  const context: Context = {
    io: init.io,
    env: init.env,
    version: init.version,
    now: init.now,
    sleep: init.sleep ?? realSleep,
    onSignal: init.onSignal ?? (() => () => undefined),
    configFile() {
      const flag = init.configFlag?.();
      if (flag) return { path: flag, explicit: true };
      const fromEnv = init.env.CARBONCTL_CONFIG;
      if (fromEnv) return { path: fromEnv, explicit: true };
      return { path: getDefaults().configFile, explicit: false };
    },
    async settings(request = {}) {
      // Loaded on demand: zod and the schema stay out of `--version`'s path.
      const { resolveSettings } = await import('./config/resolve.js');
      const { collectSecrets } = await import('./core/secrets.js');
      const resolved = resolveSettings({
        env: init.env,
        configFile: context.configFile(),
        flags: request.flags ?? [],
        prometheusFlags: request.prometheusFlags ?? [],
        cluster: request.cluster,
        defaultLedger: getDefaults().ledgerFile,
      });
      init.io.addSecrets(collectSecrets(resolved.settings));
      return resolved;
    },
    async http() {
      if (!http) {
        const { HttpClient } = await import('./providers/http.js');
        http = new HttpClient({
          userAgent: `carbonctl/${init.version}`,
          trace: (line) => init.io.trace(line),
          ...(init.httpOptions?.sleep ? { sleep: init.httpOptions.sleep } : {}),
        });
        const client = http;
        disposers.push(() => client.close());
      }
      return http;
    },
    async prompter() {
      if (!prompter) {
        prompter = init.makePrompter
          ? await init.makePrompter()
          : await (await import('./io/prompter.js')).createInquirerPrompter(init.io);
      }
      return prompter;
    },
    onDispose(close) {
      disposers.push(close);
    },
    async dispose() {
      for (const close of disposers.splice(0).reverse()) {
        try {
          await close();
        } catch {
          // Closing is best effort; the command's own result already stands.
        }
      }
    },
  };
  return context;
}

/** A real timer; resolves early (never rejects) when the signal aborts. */
async function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    // Node timers hold at most 2^31 − 1 ms; callers re-check the clock after each wait anyway.
    const timer = setTimeout(done, Math.min(Math.max(0, ms), 2_147_483_647));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
