/**
 * Progress for long work (a backfill, a large report), decided by the io layer:
 *
 * - on a terminal: a spinner line redrawn in place (`\r`), cleared when done;
 * - off a terminal (cron, CI logs): plain stderr lines at a bounded rate. Work that ends within
 *   10 s prints nothing (a quick cron run keeps a clean log); after that, the current text, then
 *   a line each time the work crosses another 10 % (from `fraction`, or from an `NN%` in the
 *   text) or when 30 s have passed since the last line;
 * - with `--quiet`: nothing.
 *
 * A caller that can be interrupted passes `onInterrupt`: on SIGINT/SIGTERM while the progress
 * is running, its message (what was kept and how to resume) is printed before the process ends.
 */

/** A running progress indicator. */
export interface Progress {
  /** New text; `fraction` in [0, 1] when the caller knows how far it is. */
  update(text: string, fraction?: number): void;
  /** Stop (clears the spinner; off a terminal prints `finalText` when given). */
  stop(finalText?: string): void;
}

/** How a progress indicator is shown; built by IOStreams from its TTY and flag decisions. */
export interface ProgressSink {
  mode: 'spinner' | 'lines' | 'off';
  /** Raw stderr write (spinner frames). */
  write(text: string): void;
  /** One stderr line, with the io layer's prefix and sanitising. */
  line(text: string): void;
  /** The injected clock. */
  now(): Date;
}

/** Options of one progress indicator. */
export interface ProgressOptions {
  /** Printed on SIGINT/SIGTERM while running: what was kept and how to resume. */
  onInterrupt?: () => string;
  /** Minimum time between two lines off a terminal (default 30 s). */
  intervalMs?: number;
  /** Off a terminal, nothing is printed before the work has run this long (default 10 s). */
  quietMs?: number;
}

/** Registers a handler run on SIGINT/SIGTERM before the process ends; returns its removal. */
export type InterruptRegistrar = (handler: () => void) => () => void;

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_QUIET_MS = 10_000;

/** The fraction done named in a text such as `Tracking hpc: 40% (96/240 h)`. */
function fractionIn(text: string): number | undefined {
  const match = /(\d{1,3}(?:\.\d+)?)\s?%/.exec(text);
  return match ? Math.min(1, Number(match[1]) / 100) : undefined;
}

/** Starts a progress indicator on `sink`. */
export function startProgress(
  sink: ProgressSink,
  text: string,
  options: ProgressOptions = {},
  onInterrupt?: InterruptRegistrar,
): Progress {
  const progress =
    sink.mode === 'off'
      ? { update: () => undefined, stop: () => undefined }
      : sink.mode === 'spinner'
        ? spinnerProgress(sink, text)
        : lineProgress(
            sink,
            text,
            options.intervalMs ?? DEFAULT_INTERVAL_MS,
            options.quietMs ?? DEFAULT_QUIET_MS,
          );
  const message = options.onInterrupt;
  if (!message || !onInterrupt) return progress;
  const release = onInterrupt(() => {
    progress.stop();
    sink.line(message());
  });
  return {
    update: (next, fraction) => progress.update(next, fraction),
    stop: (finalText) => {
      release();
      progress.stop(finalText);
    },
  };
}

function spinnerProgress(sink: ProgressSink, text: string): Progress {
  let current = text;
  let frame = 0;
  let stopped = false;
  const draw = (): void => {
    sink.write(`\r\x1b[2K${FRAMES[frame % FRAMES.length] ?? ''} ${current}`);
    frame += 1;
  };
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  return {
    update: (next) => {
      current = next;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      sink.write('\r\x1b[2K');
    },
  };
}

function lineProgress(
  sink: ProgressSink,
  text: string,
  intervalMs: number,
  quietMs: number,
): Progress {
  const startedAt = sink.now().getTime();
  let stopped = false;
  let printed = false;
  let lastAt = startedAt;
  let lastDecile = Math.floor((fractionIn(text) ?? 0) * 10);
  let lastText = text;
  const print = (line: string, at: number): void => {
    sink.line(line);
    printed = true;
    lastAt = at;
  };
  return {
    update: (next, fraction) => {
      if (stopped || next === lastText) return;
      lastText = next;
      const at = sink.now().getTime();
      if (at - startedAt < quietMs) return;
      const done = fraction ?? fractionIn(next);
      const decile = done === undefined ? lastDecile : Math.floor(done * 10);
      if (!printed || decile > lastDecile || at - lastAt >= intervalMs) print(next, at);
      lastDecile = Math.max(lastDecile, decile);
    },
    stop: (finalText) => {
      if (stopped) return;
      stopped = true;
      if (printed && finalText !== undefined) sink.line(finalText);
    },
  };
}
