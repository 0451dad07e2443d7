/**
 * A loopback GB Carbon Intensity API for integration tests (STYLE.md §12: real servers on
 * 127.0.0.1, never the internet): `GET /intensity/{from}/{to}` answers one record per half-hour
 * with actual = forecast = a deterministic function of the slot, so a test can compute the hourly
 * intensity `track` must use (SPEC §2: the mean of the hour's two half-hours) by hand.
 */
import type { ServerResponse } from 'node:http';
import {
  startLoopbackServer,
  type LoopbackHandler,
  type LoopbackServer,
  type RecordedRequest,
} from './loopback-server.js';

/** The intensity (g/kWh) the server reports for the half-hour starting at `slotStart`. */
export type SlotIntensity = (slotStart: Date) => number;

/**
 * The default pattern: 100 + 20·(UTC hour), plus 10 in the second half-hour, e.g. 02:00 → 140,
 * 02:30 → 150.
 */
export function slotIntensity(slotStart: Date): number {
  return 100 + 20 * slotStart.getUTCHours() + (slotStart.getUTCMinutes() >= 30 ? 10 : 0);
}

/**
 * Hourly mean of the default {@link slotIntensity}: (100 + 20h + 100 + 20h + 10) / 2 = 105 + 20h,
 * e.g. 02:00–03:00 → (140 + 150) / 2 = 145 g/kWh; 23:00–24:00 → (560 + 570) / 2 = 565 g/kWh.
 */
export function hourIntensity(hourStart: Date): number {
  return 105 + 20 * hourStart.getUTCHours();
}

const HALF_HOUR_MS = 1_800_000;

/** The GB API's minute-precision timestamps (`2025-03-01T00:00Z`) as epoch milliseconds. */
function parseApiTime(text: string): number {
  return Date.parse(text.replace(/Z$/, ':00Z'));
}

/** A handler answering `/intensity/{from}/{to}` with the half-hours of [from, to) valued by `slot`. */
export function intensityHandler(slot: SlotIntensity = slotIntensity): LoopbackHandler {
  return (req: RecordedRequest, res: ServerResponse): void => {
    const range = /^\/intensity\/([^/]+)\/([^/]+)$/.exec(req.url);
    res.setHeader('content-type', 'application/json');
    if (range === null) {
      res.statusCode = 400;
      res.end('{"error":{"code":"400 Bad Request","message":"Please enter a valid path"}}');
      return;
    }
    const from = parseApiTime(range[1] ?? '');
    const to = parseApiTime(range[2] ?? '');
    const format = (ms: number): string => new Date(ms).toISOString().slice(0, 16) + 'Z';
    const data = [];
    for (let start = from; start < to; start += HALF_HOUR_MS) {
      const value = slot(new Date(start));
      data.push({
        from: format(start),
        to: format(start + HALF_HOUR_MS),
        intensity: { forecast: value, actual: value, index: 'moderate' },
      });
    }
    res.end(JSON.stringify({ data }));
  };
}

/** The default-pattern handler, for tests that wrap it in their own server. */
export const answerIntensity: LoopbackHandler = intensityHandler();

/** Starts the loopback API; point `CARBONCTL_INTENSITY_URL` at its `url`. */
export function startIntensityServer(slot: SlotIntensity = slotIntensity): Promise<LoopbackServer> {
  return startLoopbackServer(intensityHandler(slot));
}
