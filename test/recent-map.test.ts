import { describe, expect, it } from 'vitest';
import { recentMap } from '../src/recent-map.js';

// The bound every cache built on recentMap relies on (aggregates, tokens, verified secrets, the
// resource validator's answers, the throttle's windows).
describe('recentMap', () => {
  it('never holds more than maxEntries, and always the latest half of them', () => {
    const map = recentMap<string, number>(10);
    for (let i = 0; i < 1000; i++) {
      map.set(`k${i}`, i);
      expect([...map.keys()].length).toBeLessThanOrEqual(10);
      for (let j = Math.max(0, i - 4); j <= i; j++) expect(map.peek(`k${j}`)).toBe(j);
    }
    expect(map.has('k0')).toBe(false);
  });

  it('counts a read as use: a key read keeps its place over keys set before that read', () => {
    const map = recentMap<string, number>(4);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    map.set('d', 4);
    expect(map.has('a')).toBe(true);
    expect(map.has('b')).toBe(false);
  });
});
