/**
 * A real headless Chromium for the HTML report's browser test (Debian's `chromium` package,
 * installed by .ci/run). Driven through playwright-core with the system binary: no browser is
 * ever downloaded. Flags keep it off the network (no component updates, sync, QUIC or
 * background requests) and allow it to run as root in containers (--no-sandbox).
 *
 * When the binary is missing: on CI (`CI` set) that is a failure; elsewhere the suite warns
 * loudly and skips, as the Prometheus harness does.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const BANNER_LINE = '!'.repeat(78);

/** Flags for a quiet, offline, root-safe headless Chromium. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium binary (`CHROMIUM_BIN` overrides the lookup of `chromium` on PATH and in
 * /usr/bin), or null after a loud warning. Throws when it is missing and `CI` is set: the
 * browser test must not pass silently on CI without having run.
 */
export function chromiumBinary(): string | null {
  const override = process.env['CHROMIUM_BIN'];
  const candidates =
    override !== undefined && override !== ''
      ? [override]
      : [
          ...(process.env['PATH'] ?? '')
            .split(delimiter)
            .filter((dir) => dir !== '')
            .flatMap((dir) => [join(dir, 'chromium'), join(dir, 'chromium-browser')]),
          '/usr/bin/chromium',
        ];
  const found = candidates.find(executable);
  if (found !== undefined) return found;
  const message =
    'chromium not found: the HTML report browser test needs it (Debian/Ubuntu: apt-get install chromium; or set CHROMIUM_BIN)';
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') throw new Error(message);
  console.warn(`\n${BANNER_LINE}\n!! SKIPPING the browser test: ${message}\n${BANNER_LINE}\n`);
  return null;
}
