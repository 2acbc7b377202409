import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/security/ids.js';
import { randomView } from '../../src/security/random-pool.js';
import { randomToken, sha256Hex, tokenDigest } from '../../src/security/tokens.js';

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
    // 300 tokens of 27 random bytes cross the 8 KiB pool at least once.
    const tokens = Array.from({ length: 300 }, () => randomToken());
    expect(new Set(tokens).size).toBe(300);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{44}$/);
    const a = Buffer.from(randomView(8000));
    const b = Buffer.from(randomView(8000));
    expect(a.equals(b)).toBe(false);
  });

  it('refuses more than a pool at once', () => {
    expect(() => randomView(8193)).toThrow(RangeError);
  });
});

describe('token digests', () => {
  it('begin with the issuing time, so tokens issued later sort later, and end in SHA-256 bits', () => {
    const t = Date.UTC(2026, 10, 29, 12, 0, 0, 0);
    const early = randomToken(t);
    const late = randomToken(t + 1);
    expect(early).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(tokenDigest(early)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenDigest(early).slice(0, 12)).toBe(t.toString(16).padStart(12, '0'));
    expect(tokenDigest(early).slice(12)).toBe(sha256Hex(early).slice(0, 52));
    expect(tokenDigest(early) < tokenDigest(late)).toBe(true);
  });

  it('are the whole SHA-256 for a token of the earlier format (32 random bytes) and for any other string', () => {
    const old = Buffer.alloc(32, 7).toString('base64url');
    expect(old).toHaveLength(43);
    expect(tokenDigest(old)).toBe(sha256Hex(old));
    expect(tokenDigest('not a token')).toBe(sha256Hex('not a token'));
    // 44 characters that are not base64url do not decode to a time.
    expect(tokenDigest('!'.repeat(44))).toBe(sha256Hex('!'.repeat(44)));
  });
});
