import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  comparePositions,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../../src/store/event-store.js';

const ev = (type: string, n = 0): NewEvent => ({
  type,
  data: { n },
  metadata: { occurredAt: new Date().toISOString(), requestId: `req-${n}` },
});

/** The event store contract: every adapter of the port must pass this same suite. */
export function eventStoreContract(name: string, open: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let prefix: string;
    beforeEach(async () => {
      store = await open();
      prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await store.close();
    });
    const s = (id: string) => `${prefix}-${id}`;

    it('reads an unknown stream as empty', async () => {
      expect(await store.readStream(s('nothing'))).toEqual([]);
    });

    it('appends with no_stream once, then refuses a second no_stream', async () => {
      const r = await store.append(s('a'), [ev('A', 1), ev('B', 2)], 'no_stream');
      expect(r.nextRevision).toBe(1n);
      const err = await store.append(s('a'), [ev('C')], 'no_stream').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedRevisionError);
      expect((err as WrongExpectedRevisionError).actual).toBe(1n);
      const read = await store.readStream(s('a'));
      expect(read.map((e) => [e.type, e.revision, e.data])).toEqual([
        ['A', 0n, { n: 1 }],
        ['B', 1n, { n: 2 }],
      ]);
      expect(read[0]!.metadata.requestId).toBe('req-1');
    });

    it('reads a stream from a revision on', async () => {
      await store.append(s('r'), [ev('A', 1), ev('B', 2), ev('C', 3)], 'no_stream');
      expect((await store.readStream(s('r'), 1n)).map((e) => [e.type, e.revision])).toEqual([['B', 1n], ['C', 2n]]);
      expect(await store.readStream(s('r'), 3n)).toEqual([]);
      expect((await store.readStream(s('r'), 0n)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect(await store.readStream(s('unknown'), 2n)).toEqual([]);
    });

    it('reads a stream backwards, newest first, from its end or a revision, up to a count', async () => {
      await store.append(s('b'), [ev('A', 1), ev('B', 2), ev('C', 3), ev('D', 4)], 'no_stream');
      const read = async (count: number, from?: bigint) =>
        (await store.readStreamBackwards(s('b'), count, from)).map((e) => [e.type, e.revision]);
      expect(await read(2)).toEqual([['D', 3n], ['C', 2n]]);
      expect(await read(2, 1n)).toEqual([['B', 1n], ['A', 0n]]);
      expect(await read(10, 2n)).toEqual([['C', 2n], ['B', 1n], ['A', 0n]]);
      expect((await store.readStreamBackwards(s('b'), 1))[0]!.data).toEqual({ n: 4 });
      expect(await store.readStreamBackwards(s('unknown'), 5)).toEqual([]);
    });

    it('honours stream_exists', async () => {
      await expect(store.append(s('b'), [ev('A')], 'stream_exists')).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      await store.append(s('b'), [ev('A')], 'any');
      const r = await store.append(s('b'), [ev('B')], 'stream_exists');
      expect(r.nextRevision).toBe(1n);
    });

    it('honours an exact revision and reports the actual one on conflict', async () => {
      await store.append(s('c'), [ev('A')], 'no_stream');
      await store.append(s('c'), [ev('B')], 0n);
      const err = await store.append(s('c'), [ev('C')], 0n).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedRevisionError);
      expect((err as WrongExpectedRevisionError).actual).toBe(1n);
      await expect(store.append(s('never'), [ev('A')], 0n)).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
    });

    it('lets exactly one of many concurrent appends at the same revision win', async () => {
      await store.append(s('race'), [ev('Start')], 'no_stream');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.append(s('race'), [ev('Next', i)], 0n)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(s('race'))).toHaveLength(2);
    });

    it('lets exactly one of many concurrent creators of a stream win, with all of its events', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => store.append(s('create'), [ev('First', i), ev('Second', i)], 'no_stream')),
      );
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
      const read = await store.readStream(s('create'));
      expect(read.map((e) => [e.type, e.revision, e.data])).toEqual([
        ['First', 0n, { n: won }],
        ['Second', 1n, { n: won }],
      ]);
    });

    it('gives strictly increasing positions across streams, and readAll resumes after one', async () => {
      const a = await store.append(s('p1'), [ev('A')], 'any');
      const b = await store.append(s('p2'), [ev('B')], 'any');
      const c = await store.append(s('p1'), [ev('C')], 'any');
      expect(comparePositions(a.position, b.position)).toBeLessThan(0);
      expect(comparePositions(b.position, c.position)).toBeLessThan(0);
      const after = await store.readAll(a.position, 100);
      const mine = after.filter((e) => e.streamId.startsWith(prefix));
      expect(mine.map((e) => e.type)).toEqual(['B', 'C']);
      for (let i = 1; i < after.length; i++) {
        expect(comparePositions(after[i - 1]!.position, after[i]!.position)).toBeLessThan(0);
      }
      const head = await store.headPosition();
      expect(head && comparePositions(head, c.position)).toBe(0);
    });

    it('subscription catches up from a checkpoint, then follows live appends', async () => {
      const first = await store.append(s('sub'), [ev('Old')], 'any');
      const sub = store.subscribeAll(first.position);
      const seen: RecordedEvent[] = [];
      const done = (async () => {
        for await (const batch of sub) {
          seen.push(...batch.events.filter((e) => e.streamId.startsWith(prefix)));
          if (seen.length >= 2) break;
        }
      })();
      await store.append(s('sub'), [ev('New1')], 'any');
      await store.append(s('sub'), [ev('New2')], 'any');
      await done;
      await sub.close();
      expect(seen.map((e) => e.type)).toEqual(['New1', 'New2']);
    });
  });
}
