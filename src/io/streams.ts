/**
 * The terminal edge (STYLE.md §3): every TTY, colour, spinner and stderr-line decision is made
 * here, once, from the streams and the environment handed in. Nothing deeper reads
 * process.stdout or process.env.
 */
import type { Readable, Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { stripControlCharacters } from '../output/sanitize.js';
import { maskSecrets } from '../core/secrets.js';
import { isReaderGone } from './pipe.js';
import { startProgress, type Progress, type ProgressOptions } from './progress.js';

/** How output should look, decided once per process from flags, env and the streams. */
export interface IOOptions {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
  /** Clock for timestamped stderr lines off a TTY. */
  now: () => Date;
  /** SIGINT/SIGTERM subscription (the process in production); absent in tests. */
  signals?: SignalSource;
  /** Ends the process after an interrupt was handled (the composition root decides how). */
  exit?: (code: number) => void;
}

/** Signal subscription, injected (the process in production, a fake in tests). */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/** Per-invocation flags that change how the io layer behaves. */
export interface IOFlags {
  quiet: boolean;
  verbose: boolean;
  color: boolean | undefined; // false with --no-color
  json: boolean; // -o json: never a spinner
}

/** A progress indicator; a no-op where spinners are not allowed. */
export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** The terminal streams plus every decision about colour, spinners and diagnostics. */
export class IOStreams {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  readonly isCI: boolean;
  private flags: IOFlags = { quiet: false, verbose: false, color: undefined, json: false };
  private colorLevel: 0 | 1 | 2 | 3;
  private chalkInstance: ChalkInstance;
  private readonly env: Record<string, string | undefined>;
  private readonly now: () => Date;

  constructor(options: IOOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.stdin = options.stdin;
    this.stdoutIsTTY = options.stdoutIsTTY;
    this.stderrIsTTY = options.stderrIsTTY;
    this.stdinIsTTY = options.stdinIsTTY;
    this.env = options.env;
    this.now = options.now;
    this.isCI = isTruthyEnv(options.env.CI);
    this.signals = options.signals;
    this.exit = options.exit;
    this.colorLevel = this.decideColorLevel();
    this.chalkInstance = new Chalk({ level: this.colorLevel });
    // `carbonctl … | head` closes the pipe early: stop writing quietly instead of crashing.
    this.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (!isReaderGone(error)) throw error;
      this.stdoutClosed = true;
    });
  }

  private stdoutClosed = false;
  private readonly signals: SignalSource | undefined;
  private readonly exit: ((code: number) => void) | undefined;
  private readonly interruptHandlers = new Set<() => void>();
  private readonly onSignal = {
    SIGINT: (): void => this.interrupted('SIGINT'),
    SIGTERM: (): void => this.interrupted('SIGTERM'),
  };

  /**
   * Runs `handler` (synchronously) if the process is interrupted by SIGINT or SIGTERM, before it
   * ends with 130 / 143: removes temp files, says what was kept. Returns the removal.
   */
  onInterrupt(handler: () => void): () => void {
    if (this.signals && this.interruptHandlers.size === 0) {
      this.signals.on('SIGINT', this.onSignal.SIGINT);
      this.signals.on('SIGTERM', this.onSignal.SIGTERM);
    }
    this.interruptHandlers.add(handler);
    return () => {
      this.interruptHandlers.delete(handler);
      if (this.signals && this.interruptHandlers.size === 0) {
        this.signals.off('SIGINT', this.onSignal.SIGINT);
        this.signals.off('SIGTERM', this.onSignal.SIGTERM);
      }
    };
  }

  private interrupted(signal: 'SIGINT' | 'SIGTERM'): void {
    for (const handler of [...this.interruptHandlers].reverse()) {
      try {
        handler();
      } catch {
        // Best effort: the next handler (another temp file) still runs.
      }
    }
    this.exit?.(signal === 'SIGINT' ? 130 : 143);
  }
  /** Secret values known to this run (credentials from settings and env), masked in every write. */
  private readonly secrets = new Set<string>();

  /**
   * Registers secret values (tokens, passwords, header values) so that no write of this run can
   * show them, whatever route a message took: the last line of the redaction rule.
   */
  addSecrets(values: Iterable<string>): void {
    for (const value of values) if (value.length >= 4) this.secrets.add(value);
  }

  /**
   * `text` with every registered secret masked. Data on stdout is masked only for secrets of 8
   * characters or more: a short password could equal a project or owner name, and a report must
   * not lose its data to the net (key-based redaction already keeps secrets out of the data).
   */
  mask(text: string, target: 'stdout' | 'stderr' = 'stderr'): string {
    if (this.secrets.size === 0) return text;
    const secrets =
      target === 'stderr' ? this.secrets : [...this.secrets].filter((secret) => secret.length >= 8);
    return maskSecrets(text, secrets);
  }

  /** True once stdout's reader has gone away (`| head`): data writes stop quietly. */
  get stdoutGone(): boolean {
    return this.stdoutClosed;
  }

  /** Marks stdout as gone (a writer saw EPIPE on it). */
  markStdoutGone(): void {
    this.stdoutClosed = true;
  }

  /** Apply the global flags (after commander has parsed them). */
  configure(flags: Partial<IOFlags>): void {
    this.flags = { ...this.flags, ...flags };
    this.colorLevel = this.decideColorLevel();
    this.chalkInstance = new Chalk({ level: this.colorLevel });
  }

  get quiet(): boolean {
    return this.flags.quiet;
  }

  get verbose(): boolean {
    return this.flags.verbose;
  }

  /** Colour on stdout: FORCE_COLOR forces it; --no-color, NO_COLOR, TERM=dumb or no TTY turn it off. */
  get colorEnabled(): boolean {
    return this.colorLevel > 0;
  }

  /** The one chalk instance, at the level decided here. */
  get style(): ChalkInstance {
    return this.chalkInstance;
  }

  /** True when we may ask questions: both stdin and stdout are terminals and not CI. */
  get canPrompt(): boolean {
    return this.stdinIsTTY && this.stdoutIsTTY && !this.isCI;
  }

  /** Tables get box-drawing borders only on a terminal. */
  get borders(): boolean {
    return this.stdoutIsTTY;
  }

  /** Spinners and progress bars: stderr is a TTY, not CI, not quiet, not JSON output. */
  get progressAllowed(): boolean {
    return this.stderrIsTTY && !this.isCI && !this.flags.quiet && !this.flags.json;
  }

  /** Write data to stdout, exactly as given. */
  out(text: string): void {
    if (this.stdoutClosed) return;
    this.stdout.write(this.mask(text, 'stdout'));
  }

  /** An informational line on stderr (suppressed by --quiet). */
  info(message: string): void {
    if (!this.flags.quiet) this.writeErr(message);
  }

  /** A notice, e.g. "no data in that window" (suppressed by --quiet). */
  notice(message: string): void {
    if (!this.flags.quiet) this.writeErr(this.errStyle().cyan('notice: ') + message);
  }

  /** A warning on stderr (suppressed by --quiet). */
  warn(message: string): void {
    if (!this.flags.quiet) this.writeErr(this.errStyle().yellow('warning: ') + message);
  }

  /** An error on stderr (always shown). */
  error(message: string): void {
    this.writeErr(this.errStyle().red('error: ') + message);
  }

  /** A --verbose trace line (requests, PromQL); callers redact secrets first. */
  trace(message: string): void {
    if (this.flags.verbose && !this.flags.quiet) this.writeErr(this.errStyle().dim(message));
  }

  /**
   * Progress for long work: a spinner on a terminal; off a terminal, stderr lines at a bounded
   * rate (every 10 % or 30 s); nothing with --quiet. See io/progress.ts for the contract.
   */
  progress(text: string, options: ProgressOptions = {}): Progress {
    const mode = this.flags.quiet
      ? 'off'
      : this.progressAllowed
        ? 'spinner'
        : !this.stderrIsTTY
          ? 'lines'
          : 'off';
    return startProgress(
      {
        mode,
        write: (chunk) => void this.stderr.write(chunk),
        line: (line) => this.writeErr(line),
        now: this.now,
      },
      text,
      options,
      (handler) => this.onInterrupt(handler),
    );
  }

  /** A spinner (on a terminal) or progress lines (off one); kept for existing callers. */
  spinner(text: string): Spinner {
    return this.progress(text);
  }

  private writeErr(message: string): void {
    const clean = stripControlCharacters(this.mask(message), { keepAnsi: this.stderrColor() });
    // Off a terminal (cron, CI logs) every stderr line carries a timestamp.
    const prefix = this.stderrIsTTY ? '' : `${this.now().toISOString()} `;
    this.stderr.write(
      clean
        .split('\n')
        .map((line) => prefix + line)
        .join('\n') + '\n',
    );
  }

  private stderrColor(): boolean {
    return this.colorLevel > 0 && (this.stderrIsTTY || this.forced());
  }

  private errStyle(): ChalkInstance {
    return this.stderrColor() ? this.chalkInstance : new Chalk({ level: 0 });
  }

  private forced(): boolean {
    const force = this.env.FORCE_COLOR;
    return force !== undefined && force !== '0' && force !== 'false';
  }

  private decideColorLevel(): 0 | 1 | 2 | 3 {
    if (this.flags.color === false) return 0;
    const force = this.env.FORCE_COLOR;
    if (force !== undefined) {
      if (force === '0' || force === 'false') return 0;
      if (force === '2' || force === '3') return Number(force) as 2 | 3;
      return 1;
    }
    if (this.env.NO_COLOR !== undefined && this.env.NO_COLOR !== '') return 0;
    if (!this.stdoutIsTTY || this.env.TERM === 'dumb') return 0;
    const colorTerm = this.env.COLORTERM ?? '';
    if (colorTerm === 'truecolor' || colorTerm === '24bit') return 3;
    if ((this.env.TERM ?? '').includes('256')) return 2;
    return 1;
  }
}

/** `CI=true`, `CI=1`, any non-empty value except `false`/`0`. */
export function isTruthyEnv(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
