import { describe, expect, it } from 'vitest';
import { seal } from '../../src/security/seal.js';
import { mintSuccessor, recoverSuccessor } from '../../src/security/successor.js';
import { randomToken, tokenDigest } from '../../src/security/tokens.js';

const OLD = 'old-refresh-token-0123456789abcdefghijklmno';
const TOKEN = /^[A-Za-z0-9_-]{44}$/;

describe('a refresh successor pair (derived from the previous refresh token and a recorded seed)', () => {
  it('is two tokens of the usual format, minted at the given millisecond, and recovers to the same pair', () => {
    const now = Date.now();
    const { pair, recorded } = mintSuccessor(OLD, 'grant-1', now);
    expect(pair.access_token).toMatch(TOKEN);
    expect(pair.refresh_token).toMatch(TOKEN);
    expect(pair.access_token).not.toBe(pair.refresh_token);
    const minted = now.toString(16).padStart(12, '0');
    expect(tokenDigest(pair.access_token).startsWith(minted)).toBe(true);
    expect(tokenDigest(pair.refresh_token).startsWith(minted)).toBe(true);
    expect(recorded).toMatch(/^v2\.[A-Za-z0-9_-]{30}$/);
    expect(recoverSuccessor(OLD, 'grant-1', recorded)).toEqual(pair);
  });

  it('derives the pair RFC 2104 HMAC-SHA512 gives (computed independently, with Python), so recorded seeds keep working', () => {
    // Seed: the millisecond 1764000000000, then the bytes 6..21.
    expect(recoverSuccessor(OLD, 'grant-1', 'v2.AZq2l-gABgcICQoLDA0ODxAREhMUFQ')).toEqual({
      access_token: 'AZq2l-gAGPmeR4FMW4NkyoSSH2pF4A9VdHK9_c6jZSaf',
      refresh_token: 'AZq2l-gAGPIbkbeHxsHEnTUKaTYm8rs2qNUvEZQt5vFE',
    });
  });

  it('gives a new pair each time, even for the same token and grant', () => {
    const a = mintSuccessor(OLD, 'grant-1');
    const b = mintSuccessor(OLD, 'grant-1');
    expect(b.recorded).not.toBe(a.recorded);
    expect(b.pair.access_token).not.toBe(a.pair.access_token);
    expect(b.pair.refresh_token).not.toBe(a.pair.refresh_token);
  });

  it('gives other tokens for another previous token, another grant, or an altered seed', () => {
    const { pair, recorded } = mintSuccessor(OLD, 'grant-1');
    const others = [
      recoverSuccessor(randomToken(), 'grant-1', recorded),
      recoverSuccessor(OLD, 'grant-2', recorded),
      // One character inside the seed: the last one also holds padding bits.
      recoverSuccessor(OLD, 'grant-1', `${recorded.slice(0, 20)}${recorded[20] === 'A' ? 'B' : 'A'}${recorded.slice(21)}`),
    ];
    for (const other of others) {
      expect(other).not.toBeNull();
      expect(other!.access_token).not.toBe(pair.access_token);
      expect(other!.refresh_token).not.toBe(pair.refresh_token);
    }
  });

  it('keeps neither token in what it records', () => {
    const { pair, recorded } = mintSuccessor(OLD, 'grant-1');
    for (const token of [pair.access_token, pair.refresh_token, OLD]) {
      expect(recorded).not.toContain(token.slice(8));
      expect(Buffer.from(recorded.slice(3), 'base64url').includes(Buffer.from(token.slice(8), 'base64url'))).toBe(false);
    }
  });

  it('refuses a seed of the wrong length and an unknown format', () => {
    expect(recoverSuccessor(OLD, 'grant-1', 'v2.AZq2l-gABgcICQoLDA0ODxAREhMU')).toBeNull();
    expect(recoverSuccessor(OLD, 'grant-1', 'v2.')).toBeNull();
    expect(recoverSuccessor(OLD, 'grant-1', 'v3.AZq2l-gABgcICQoLDA0ODxAREhMUFQ')).toBeNull();
    expect(recoverSuccessor(OLD, 'grant-1', '')).toBeNull();
  });

  it('still opens a pair the earlier version sealed (v1), only with its token and grant', () => {
    const pair = { access_token: randomToken(), refresh_token: randomToken() };
    const sealed = seal(OLD, 'refresh successor', 'grant-1', JSON.stringify(pair));
    expect(recoverSuccessor(OLD, 'grant-1', sealed)).toEqual(pair);
    expect(recoverSuccessor(randomToken(), 'grant-1', sealed)).toBeNull();
    expect(recoverSuccessor(OLD, 'grant-2', sealed)).toBeNull();
    expect(recoverSuccessor(OLD, 'grant-1', seal(OLD, 'refresh successor', 'grant-1', 'not json'))).toBeNull();
    expect(recoverSuccessor(OLD, 'grant-1', seal(OLD, 'refresh successor', 'grant-1', '{"access_token":1}'))).toBeNull();
  });
});
