import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../src/config/inventory.js';
import {
  fillLabels,
  inventoryConflicts,
  withinLife,
  workspaceState,
  type InventoryEntry,
} from '../../src/core/workspaces.js';
import { ConfigError } from '../../src/errors.js';

const entry: InventoryEntry = {
  host: 'ws-1',
  owner: 'bob',
  project: 'astro',
  machine: null,
  tag: 'teaching',
  created: new Date('2025-03-03T02:30:00Z'),
  deleted: new Date('2025-03-04T00:00:00Z'),
};

describe('workspace inventory', () => {
  it('fills only the labels a series lacks', () => {
    expect(fillLabels({ owner: 'alice', host: 'ws-1' }, entry)).toEqual({
      owner: 'alice',
      project: 'astro',
      host: 'ws-1',
    });
    expect(fillLabels({ owner: '' }, entry).owner).toBe('bob');
    expect(fillLabels({ owner: 'x' }, undefined)).toEqual({ owner: 'x' });
  });

  it('names each label both have and disagree on', () => {
    expect(inventoryConflicts('ws-1', { owner: 'alice', project: 'astro' }, entry)).toEqual([
      { host: 'ws-1', label: 'owner', fromLabels: 'alice', fromInventory: 'bob' },
    ]);
    expect(inventoryConflicts('ws-1', { machine: 'big' }, entry)).toEqual([]);
  });

  it('books hours that overlap [created, deleted)', () => {
    const hour = (text: string): number => Date.parse(text);
    expect(withinLife(entry, hour('2025-03-03T01:00:00Z'))).toBe(false);
    // 02:00–03:00 overlaps the creation at 02:30.
    expect(withinLife(entry, hour('2025-03-03T02:00:00Z'))).toBe(true);
    expect(withinLife(entry, hour('2025-03-03T23:00:00Z'))).toBe(true);
    expect(withinLife(entry, hour('2025-03-04T00:00:00Z'))).toBe(false);
    expect(withinLife(undefined, 0)).toBe(true);
  });

  it('calls a workspace gone, idle or active', () => {
    const base = {
      entry: undefined,
      lastSampleEnd: new Date('2025-03-03T06:00:00Z'),
      now: new Date('2025-03-03T07:00:00Z'),
      busySeconds: 50,
      idleSeconds: 50,
      idleBusyFraction: 0.02,
      goneAfterHours: 48,
    };
    expect(workspaceState(base)).toBe('active');
    expect(workspaceState({ ...base, busySeconds: 1, idleSeconds: 99 })).toBe('idle');
    expect(workspaceState({ ...base, now: new Date('2025-03-05T06:00:01Z') })).toBe('gone');
    expect(workspaceState({ ...base, entry: { ...entry, deleted: base.now } })).toBe('gone');
  });

  it('parses the CSV, with optional columns in any order and dates as days or instants', () => {
    const inventory = parseInventory(
      'tag,host,owner,created\nteaching,ws-1,bob,2025-03-01\n,ws-2,,2025-03-02T12:00:00Z\n',
      'inv.csv',
    );
    expect(inventory.get('ws-1')).toEqual({
      host: 'ws-1',
      owner: 'bob',
      project: null,
      machine: null,
      tag: 'teaching',
      created: new Date('2025-03-01T00:00:00Z'),
      deleted: null,
    });
    expect(inventory.get('ws-2')?.created).toEqual(new Date('2025-03-02T12:00:00Z'));
  });

  it('reports every problem of a bad inventory at once', () => {
    let error: unknown;
    try {
      parseInventory(
        'host,created,deleted\n,2025-01-01,\nws-1,soon,\nws-2,2025-02-01,2025-01-01\nws-2,,\n',
        'inv.csv',
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('workspace inventory inv.csv has 4 problem(s)');
    expect((error as ConfigError).hint).toBe(
      'line 2: no host; line 3: created soon is not a date; line 4: deleted is not after created; line 5: host ws-2 is listed twice',
    );
    expect(() => parseInventory('owner\nbob\n', 'x.csv')).toThrow('has no "host" column');
  });
});
