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

/** The store, counting the events each readStream returns. */
function counting(store: EventStore) {
  const reads: number[] = [];
  const counted: EventStore = Object.create(store);
  counted.readStream = async (streamId, from) => {
    const events = await store.readStream(streamId, from);
    reads.push(events.length);
    return events;
  };
  return { counted, reads };
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
    expect(cache.size).toBe(0);
    for (const s of ['x', 'y', 'z']) {
      await store.append(s, [defined(s)], 'no_stream');
      await loadCachedAggregate(store, cache, s, evolve, []);
    }
    expect(cache.size).toBe(2);
    expect(cache.get('x')).toBeUndefined();
    expect(cache.get<string[]>('z')?.state).toEqual(['z']);
  });
});
