import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { WrongExpectedRevisionError } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.js';
import { eventStoreContract } from '../contract/event-store.contract.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'oauth2-es-'));

eventStoreContract('sqlite', async () => new SqliteEventStore(openDatabase(tempDir())));

describe('SqliteEventStore durability', () => {
  it('keeps events across a reopen of the same file', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const first = new SqliteEventStore(db);
    await first.append('s-1', [{ type: 'A', data: { x: 1 }, metadata: { occurredAt: 'now' } }], 'no_stream');
    db.close();
    const second = new SqliteEventStore(openDatabase(dir));
    expect((await second.readStream('s-1')).map((e) => e.data)).toEqual([{ x: 1 }]);
  });

  it('writes concurrent appends as one transaction (group commit) without mixing them up', async () => {
    const db = openDatabase(tempDir());
    const store = new SqliteEventStore(db);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.append(`g-${i}`, [{ type: 'A', data: { i }, metadata: { occurredAt: 'now' } }], 'no_stream'),
      ),
    );
    expect(store.commits).toBe(1);
    const all = await store.readAll(null, 100);
    expect(all.map((e) => e.streamId)).toEqual(Array.from({ length: 50 }, (_, i) => `g-${i}`));
  });

  it('fails one append of a batch wholly, leaving the others committed', async () => {
    const store = new SqliteEventStore(openDatabase(tempDir()));
    const ev = (id: string) => ({ id, type: 'A', data: { id }, metadata: { occurredAt: 'now' } });
    // Event ids are unique: an event with a used id fails its whole append.
    const results = await Promise.allSettled([
      store.append('ok-1', [ev('e-1')], 'no_stream'),
      store.append('two', [ev('e-2'), ev('e-1')], 'no_stream'),
      store.append('one', [ev('e-1')], 'no_stream'),
      // e-2 is free again: the failed append's first event was rolled back with it.
      store.append('ok-2', [ev('e-2')], 'no_stream'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(store.commits).toBe(1);
    expect((await store.readAll(null, 10)).map((e) => `${e.streamId}:${e.id}`)).toEqual(['ok-1:e-1', 'ok-2:e-2']);
  });
});

describe('SqliteEventStore atomic appends to several streams', () => {
  const ev = (n: number) => ({ type: 'A', data: { n }, metadata: { occurredAt: 'now' } });

  it('writes every part, each at its expected revision, in one commit', async () => {
    const store = new SqliteEventStore(openDatabase(tempDir()));
    await store.append('code-1', [ev(0)], 'no_stream');
    const results = await store.appendAtomically([
      { streamId: 'code-1', events: [ev(1)], expected: 0n },
      { streamId: 'grant-1', events: [ev(2)], expected: 'no_stream' },
    ]);
    expect(results.map((r) => r.nextRevision)).toEqual([1n, 0n]);
    expect((await store.readAll(null, 10)).map((e) => `${e.streamId}@${e.revision}`)).toEqual(['code-1@0', 'code-1@1', 'grant-1@0']);
  });

  it('writes none of them when one revision check fails, and leaves the rest of the batch alone', async () => {
    const store = new SqliteEventStore(openDatabase(tempDir()));
    await store.append('code-1', [ev(0)], 'no_stream');
    const [atomic, other] = await Promise.allSettled([
      store.appendAtomically([
        { streamId: 'grant-1', events: [ev(1)], expected: 'no_stream' },
        { streamId: 'code-1', events: [ev(2)], expected: 'no_stream' },
      ]),
      store.append('other', [ev(3)], 'no_stream'),
    ]);
    expect(atomic.status).toBe('rejected');
    expect((atomic as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect((atomic as PromiseRejectedResult).reason.streamId).toBe('code-1');
    expect(other.status).toBe('fulfilled');
    expect(store.commits).toBe(2);
    expect((await store.readAll(null, 10)).map((e) => e.streamId)).toEqual(['code-1', 'other']);
  });
});

describe('SqliteEventStore append options', () => {
  it('resolves a non-durable append once committed: visible and revision-checked at once', async () => {
    const dir = tempDir();
    const store = new SqliteEventStore(openDatabase(dir));
    const ev = { type: 'A', data: {}, metadata: { occurredAt: 'now' } };
    const first = await store.append('d-1', [ev], 'no_stream', { durable: false });
    expect(first.nextRevision).toBe(0n);
    expect(await store.readStream('d-1')).toHaveLength(1);
    await expect(store.append('d-1', [ev], 'no_stream', { durable: false })).rejects.toThrow(/expected revision/);
    // waitDurable syncs what was committed; a durable append after it covers both anyway.
    await store.waitDurable();
    await store.append('d-1', [ev], 0n);
    await store.close();
    expect(await new SqliteEventStore(openDatabase(dir)).readStream('d-1')).toHaveLength(2);
  });
});

describe('SqliteEventStore while another process holds the write lock', () => {
  const ev = (n: number) => ({ type: 'A', data: { n }, metadata: { occurredAt: 'now' } });

  it('keeps the event loop serving, then writes after the other writer, revision-checked against it', async () => {
    const dir = tempDir();
    const store = new SqliteEventStore(openDatabase(dir));
    await store.append('s', [ev(0)], 'no_stream');
    const other = new SqliteEventStore(openDatabase(dir));
    const otherDb = openDatabase(dir);
    otherDb.exec('BEGIN IMMEDIATE');
    let settled = false;
    const blocked = store.append('s', [ev(1)], 0n).finally(() => (settled = true));
    const racing = store.append('t', [ev(2)], 'no_stream');
    // A timer fires while the append waits: SQLite's busy handler would have slept on the loop.
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 30));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(settled).toBe(false);
    otherDb.exec('COMMIT');
    otherDb.close();
    await expect(blocked).resolves.toMatchObject({ nextRevision: 1n });
    await racing;
    // The waiting appends went in one transaction, and another process's append is checked against them.
    expect(store.commits).toBe(2);
    await expect(other.append('s', [ev(3)], 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect((await other.readStream('s')).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }]);
  });

  it('fails the waiting appends, having written nothing, once the lock is held too long', async () => {
    const dir = tempDir();
    const store = new SqliteEventStore(openDatabase(dir), 50, 100);
    const otherDb = openDatabase(dir);
    otherDb.exec('BEGIN IMMEDIATE');
    await expect(store.append('s', [ev(0)], 'no_stream')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    otherDb.exec('ROLLBACK');
    expect(await store.readStream('s')).toEqual([]);
    // Free again: the next append goes through.
    await expect(store.append('s', [ev(1)], 'no_stream')).resolves.toMatchObject({ nextRevision: 0n });
  });
});
