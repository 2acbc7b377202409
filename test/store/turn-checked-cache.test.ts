import { describe, expect, it } from 'vitest';
import { TurnCheckedCache } from '../../src/store/turn-checked-cache.js';

/** Loads answered one by one, oldest first, when `answer` is called; counts how many ran. */
function gatedLoads() {
  const waiting: Array<(row: { v: number } | null) => void> = [];
  let loads = 0;
  const load = () => {
    loads += 1;
    return new Promise<{ v: number } | null>((resolve) => waiting.push(resolve));
  };
  return { load, answer: (row: { v: number } | null) => waiting.shift()!(row), loads: () => loads };
}

describe('TurnCheckedCache', () => {
  it('shares one load of a key among lookups made while it runs, and keeps its row', async () => {
    const cache = new TurnCheckedCache<{ v: number }>(async () => 'same', 10);
    const { load, answer, loads } = gatedLoads();
    const first = cache.get('k', load);
    const second = cache.get('k', load);
    await cache.checked();
    await new Promise((resolve) => setImmediate(resolve));
    answer({ v: 1 });
    expect([await first, await second]).toEqual([{ v: 1 }, { v: 1 }]);
    expect(await cache.get('k', load)).toEqual({ v: 1 });
    expect(loads()).toBe(1);
  });

  it('does not keep a row whose load began before the rows were dropped: it may be older than the change', async () => {
    let version = 1;
    const cache = new TurnCheckedCache<{ v: number }>(async () => version, 10);
    const { load, answer, loads } = gatedLoads();
    const stale = cache.get('k', load);
    await new Promise((resolve) => setImmediate(resolve));
    // The source changes while the load runs; a later turn's check (for another key) sees it.
    version = 2;
    await cache.get('other', () => null);
    answer({ v: 1 });
    expect(await stale).toEqual({ v: 1 });
    // Not kept: the next lookup loads, and shares no load begun before the change either.
    const fresh = cache.get('k', load);
    await new Promise((resolve) => setImmediate(resolve));
    answer({ v: 2 });
    expect(await fresh).toEqual({ v: 2 });
    expect(loads()).toBe(2);
  });
});
