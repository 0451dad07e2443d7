/** Intensity values at the network providers' boundary (zod is loaded only with them). */
import * as z from 'zod/mini';
import { isUsableIntensity } from '../../core/intensity.js';

/**
 * An intensity value at the boundary: a usable number (SPEC §2: finite, in (0, 2000] g/kWh) or
 * null. Zero, negative, absurd, non-numeric or missing values become null, so one bad slot is a
 * gap that falls through the fallback chain, never a 0 and never a failure of the whole answer.
 */
export const usableIntensity = z.pipe(
  z.unknown(),
  z.transform((value): number | null => (isUsableIntensity(value) ? value : null)),
);
