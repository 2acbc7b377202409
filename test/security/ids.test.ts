import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/security/ids.js';
import { randomView } from '../../src/security/random-pool.js';
import { randomToken } from '../../src/security/tokens.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('time-ordered ids', () => {
  it('are UUIDv7 with the creation millisecond in front, so later ids sort later', () => {
    const t = Date.UTC(2026, 10, 29, 12, 0, 0, 123);
    const id = timeOrderedId(t);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    const ids = [timeOrderedId(t + 2), timeOrderedId(t), timeOrderedId(t + 1)];
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
  });

  it('never repeat within a millisecond', () => {
    const t = Date.now();
    const ids = new Set(Array.from({ length: 20_000 }, () => timeOrderedId(t)));
    expect(ids.size).toBe(20_000);
  });
});

describe('the random pool', () => {
  it('hands out each byte once, across refills', () => {
    // 300 tokens of 32 bytes cross the 8 KiB pool at least once.
    const tokens = Array.from({ length: 300 }, () => randomToken());
    expect(new Set(tokens).size).toBe(300);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const a = Buffer.from(randomView(8000));
    const b = Buffer.from(randomView(8000));
    expect(a.equals(b)).toBe(false);
  });

  it('refuses more than a pool at once', () => {
    expect(() => randomView(8193)).toThrow(RangeError);
  });
});
