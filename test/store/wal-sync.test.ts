import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { NewEvent } from '../../src/store/event-store.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.js';

/** The WAL syncs the store has started, each finished when the test says so. */
const syncs = vi.hoisted(() => [] as Array<(error: Error | null) => void>);
vi.mock('node:fs', async (original) => ({
  ...(await original<typeof import('node:fs')>()),
  fdatasync: (_fd: number, done: (error: Error | null) => void) => void syncs.push(done),
}));

const ev: NewEvent = { type: 'Noted', data: {}, metadata: { occurredAt: new Date().toISOString() } };
const settled = (p: Promise<unknown>) => {
  const state = { done: false };
  void p.then(() => (state.done = true));
  return state;
};
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('durable appends and the WAL syncs in flight', () => {
  it('resolves each append only after a sync that began after its commit, two syncs at a time', async () => {
    const store = new SqliteEventStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-sync-'))));
    const a = settled(store.append('s-a', [ev], 'no_stream'));
    await turn();
    expect(syncs).toHaveLength(1); // a committed, its sync running

    const b = settled(store.append('s-b', [ev], 'no_stream'));
    await turn();
    expect(syncs).toHaveLength(2); // b committed beside it, with a sync of its own

    const c = settled(store.append('s-c', [ev], 'no_stream'));
    await turn();
    expect(syncs).toHaveLength(2); // two already run: c waits, not yet committed
    expect(await store.readStream('s-c')).toHaveLength(0);

    syncs[0]!(null);
    await turn();
    expect([a.done, b.done, c.done]).toEqual([true, false, false]);
    expect(syncs).toHaveLength(3); // c committed once a sync ended, and started its own
    expect(await store.readStream('s-c')).toHaveLength(1);

    syncs[2]!(null);
    await turn();
    expect(c.done).toBe(true);
    syncs[1]!(null);
    await turn();
    expect(b.done).toBe(true);
  });
});
