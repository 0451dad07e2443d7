/**
 * Workspaces and their inventory (Ada): an optional CSV per cluster (`workspaces.inventory`:
 * host, owner, project, machine, tag, created, deleted) that fills owner/project/machine where
 * the Prometheus labels lack them (labels win; a disagreement is reported), adds a `tag`, and
 * bounds a workspace's life: hours before `created` or from `deleted` on are not booked (a
 * reused host name is not the old workspace). Pure: the inventory is parsed elsewhere.
 */
import type { EntityLabels } from './usage.js';

/** One inventory line. */
export interface InventoryEntry {
  host: string;
  owner: string | null;
  project: string | null;
  machine: string | null;
  tag: string | null;
  /** The workspace exists from this instant (inclusive); null = always. */
  created: Date | null;
  /** The workspace is gone from this instant (exclusive end); null = still there. */
  deleted: Date | null;
}

/** The inventory by host. */
export type WorkspaceInventory = ReadonlyMap<string, InventoryEntry>;

/** The labels the inventory can fill. */
export const INVENTORY_LABELS = ['owner', 'project', 'machine'] as const;

/** A label the Prometheus series and the inventory disagree on. */
export interface InventoryConflict {
  host: string;
  label: (typeof INVENTORY_LABELS)[number];
  fromLabels: string;
  fromInventory: string;
}

const HOUR_MS = 3_600_000;

/** True when the hour starting at `hourStartMs` overlaps the workspace's life. */
export function withinLife(entry: InventoryEntry | undefined, hourStartMs: number): boolean {
  if (entry === undefined) return true;
  if (entry.created !== null && hourStartMs + HOUR_MS <= entry.created.getTime()) return false;
  if (entry.deleted !== null && hourStartMs >= entry.deleted.getTime()) return false;
  return true;
}

/** Labels with the inventory's values where the series has none (labels win). */
export function fillLabels(labels: EntityLabels, entry: InventoryEntry | undefined): EntityLabels {
  if (entry === undefined) return labels;
  const filled: EntityLabels = { ...labels };
  for (const label of INVENTORY_LABELS) {
    const value = entry[label];
    if ((filled[label] === undefined || filled[label] === '') && value !== null)
      filled[label] = value;
  }
  return filled;
}

/** Where the series' labels and the inventory disagree (the labels win; `doctor` warns). */
export function inventoryConflicts(
  host: string,
  labels: Pick<EntityLabels, 'owner' | 'project' | 'machine'>,
  entry: InventoryEntry | undefined,
): InventoryConflict[] {
  if (entry === undefined) return [];
  const conflicts: InventoryConflict[] = [];
  for (const label of INVENTORY_LABELS) {
    const fromLabels = labels[label];
    const fromInventory = entry[label];
    if (
      fromLabels !== undefined &&
      fromLabels !== '' &&
      fromInventory !== null &&
      fromLabels !== fromInventory
    )
      conflicts.push({ host, label, fromLabels, fromInventory });
  }
  return conflicts;
}

/** A workspace's state for `workspaces list`. */
export type WorkspaceState = 'active' | 'idle' | 'gone';

/**
 * `gone` when the inventory says it was deleted by `now`, or its newest sample is older than
 * `goneAfterHours`; `idle` when it was busy less than `idleBusyFraction` of its CPU time this
 * month (or had none); else `active`.
 */
export function workspaceState(input: {
  entry: InventoryEntry | undefined;
  lastSampleEnd: Date | null;
  now: Date;
  busySeconds: number;
  idleSeconds: number;
  idleBusyFraction: number;
  goneAfterHours: number;
}): WorkspaceState {
  const { entry, lastSampleEnd, now } = input;
  if (entry?.deleted !== null && entry?.deleted !== undefined && entry.deleted <= now)
    return 'gone';
  if (
    lastSampleEnd === null ||
    now.getTime() - lastSampleEnd.getTime() > input.goneAfterHours * HOUR_MS
  )
    return 'gone';
  const total = input.busySeconds + input.idleSeconds;
  if (total === 0 || input.busySeconds / total < input.idleBusyFraction) return 'idle';
  return 'active';
}
