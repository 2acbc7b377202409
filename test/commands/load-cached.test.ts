import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AggregateCache } from '../../src/commands/aggregate-cache.js';
import { loadAggregate, loadCachedAggregate } from '../../src/commands/load.js';
import { type DomainEvent, event } from '../../src/domain/events.js';
import type { EventStore } from '../../src/store/event-store.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.js';

/** Scopes defined on a stream, in order: a state that shows every event folded exactly once. */
const evolve = (state: string[], e: DomainEvent) => (e.type === 'ScopeDefined' ? [...state, e.data.name] : state);
const defined = (name: string) => ({
  ...event('ScopeDefined', { name, description: name, isDefault: false }),
  metadata: { occurredAt: new Date().toISOString() },
});

/** The store, counting the events each readStream (and each readStreamBackwards) returns. */
function counting(store: EventStore) {
  const reads: number[] = [];
  const backwards: number[] = [];
  const counted: EventStore = Object.create(store);
  counted.readStream = async (streamId, from) => {
    const events = await store.readStream(streamId, from);
    reads.push(events.length);
    return events;
  };
  counted.readStreamBackwards = async (streamId, count, from) => {
    const events = await store.readStreamBackwards(streamId, count, from);
    backwards.push(events.length);
    return events;
  };
  return { counted, reads, backwards };
}

describe('loading an aggregate through the cache', () => {
  it('reads only what was appended since, by this process or another, and folds the same state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth2-cache-'));
    const store = new SqliteEventStore(openDatabase(dir));
    const other = new SqliteEventStore(openDatabase(dir));
    const { counted, reads } = counting(store);
    const cache = new AggregateCache();
    await store.append('s', [defined('a'), defined('b')], 'no_stream');

    expect(await loadCachedAggregate(counted, cache, 's', evolve, [])).toEqual({ state: ['a', 'b'], revision: 1n });
    await other.append('s', [defined('c')], 1n);
    expect(await loadCachedAggregate(counted, cache, 's', evolve, [])).toEqual({ state: ['a', 'b', 'c'], revision: 2n });
    expect(await loadCachedAggregate(counted, cache, 's', evolve, [])).toEqual({ state: ['a', 'b', 'c'], revision: 2n });
    expect(reads).toEqual([2, 1, 0]);
    expect((await loadAggregate(store, 's', evolve, [])).state).toEqual(['a', 'b', 'c']);
  });

  it('caches nothing for an empty stream, and forgets the oldest entries when full', async () => {
    const store = new SqliteEventStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-cache-'))));
    const cache = new AggregateCache(2);
    expect(await loadCachedAggregate(store, cache, 'none', evolve, [])).toEqual({ state: [], revision: 'no_stream' });
    expect(cache.get('none')).toBeUndefined();
    for (const s of ['x', 'y', 'z']) {
      await store.append(s, [defined(s)], 'no_stream');
      await loadCachedAggregate(store, cache, s, evolve, []);
    }
    expect(cache.get('x')).toBeUndefined();
    expect(cache.get<string[]>('z')?.state).toEqual(['z']);
  });

  describe('with a state that some events start afresh', () => {
    // A ScopeDefined named "start-…" starts the state over: nothing before it counts.
    const evolveFromStart = (state: string[], e: DomainEvent) =>
      e.type !== 'ScopeDefined' ? state : e.data.name.startsWith('start') ? [e.data.name] : [...state, e.data.name];
    const startsState = (e: DomainEvent) => e.type === 'ScopeDefined' && e.data.name.startsWith('start');

    it('reads a stream that is not cached back only to the latest such event, and folds what the whole stream gives', async () => {
      const store = new SqliteEventStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-cache-'))));
      const names = ['a', 'start-1', ...Array.from({ length: 40 }, (_, i) => `x${i}`), 'start-2', 'b', 'c'];
      await store.append('long', names.map(defined), 'no_stream');
      const { counted, reads, backwards } = counting(store);

      const whole = await loadAggregate(store, 'long', evolveFromStart, []);
      const tail = await loadCachedAggregate(counted, new AggregateCache(), 'long', evolveFromStart, [], startsState);
      expect(tail).toEqual({ state: ['start-2', 'b', 'c'], revision: BigInt(names.length - 1) });
      expect(tail.state).toEqual(whole.state);
      expect(backwards).toEqual([1, 2]);
      expect(reads).toEqual([]);
    });

    it('reads back in growing steps to the stream start when no event starts the state', async () => {
      const store = new SqliteEventStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-cache-'))));
      const names = Array.from({ length: 30 }, (_, i) => `y${i}`);
      await store.append('plain', names.map(defined), 'no_stream');
      const { counted, backwards } = counting(store);
      const loaded = await loadCachedAggregate(counted, new AggregateCache(), 'plain', evolveFromStart, [], startsState);
      expect(loaded).toEqual({ state: names, revision: 29n });
      expect(backwards).toEqual([1, 2, 4, 8, 15]);
      expect(await loadCachedAggregate(counted, new AggregateCache(), 'none', evolveFromStart, [], startsState)).toEqual({
        state: [],
        revision: 'no_stream',
      });
    });

    it('reads forward from a cached state as before', async () => {
      const store = new SqliteEventStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-cache-'))));
      await store.append('s', ['start-1', 'a'].map(defined), 'no_stream');
      const { counted, reads, backwards } = counting(store);
      const cache = new AggregateCache();
      await loadCachedAggregate(counted, cache, 's', evolveFromStart, [], startsState);
      await store.append('s', [defined('b')], 1n);
      expect(await loadCachedAggregate(counted, cache, 's', evolveFromStart, [], startsState)).toEqual({ state: ['start-1', 'a', 'b'], revision: 2n });
      expect(backwards).toEqual([1, 1]);
      expect(reads).toEqual([1]);
    });
  });
});
