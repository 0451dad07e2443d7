/**
 * The ledger as the accounting pipeline's cache and decision store, for commands that do not
 * write usage (budget check, clusters, recommendations, calculate --at, intensity --at): when the
 * configured ledger exists and is writable, intensity values and source decisions go through it,
 * so every command sees the same cached hour; without one, nothing is cached.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { dirname } from 'node:path';
import type { Context } from '../context.js';
import type { Settings } from '../config/schema.js';
import { openLedger } from '../store/ledger.js';
import type { Ledger } from '../store/types.js';

/** The configured ledger opened for caching, or null when it does not exist or cannot be written. */
export function cacheLedger(context: Context, settings: Settings): Ledger | null {
  const path = settings.ledger;
  if (path === null || path === '') return null;
  try {
    accessSync(path, fsConstants.W_OK);
    accessSync(dirname(path), fsConstants.W_OK);
  } catch {
    return null;
  }
  const ledger = openLedger(path, { clock: () => context.now(), create: false });
  context.onDispose(() => ledger.close());
  return ledger;
}
