import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hkdfSha256, open, seal } from '../../src/security/seal.js';

const SECRET = 'old-refresh-token-0123456789abcdefghijklmno';

describe('seal / open (AES-256-GCM under an HKDF-SHA256 key from a secret)', () => {
  it('derives the key HKDF does (RFC 5869 test case 1, and crypto.hkdfSync), so earlier seals still open', () => {
    const ikm = Buffer.alloc(22, 0x0b);
    const salt = Buffer.from('000102030405060708090a0b0c', 'hex');
    const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
    expect(hkdfSha256(ikm, salt, info).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf',
    );
    const s = Buffer.alloc(16, 3);
    expect(hkdfSha256(SECRET, s, 'oauth2 seal p')).toEqual(Buffer.from(hkdfSync('sha256', SECRET, s, 'oauth2 seal p', 32)));
  });

  it('opens with the same secret, purpose and context', () => {
    const sealed = seal(SECRET, 'p', 'grant-1', '{"a":1}');
    expect(open(SECRET, 'p', 'grant-1', sealed)).toBe('{"a":1}');
  });

  it('holds no trace of the plaintext and differs every time (random salt and IV)', () => {
    const plaintext = 'successor-access-token-value';
    const a = seal(SECRET, 'p', 'g', plaintext);
    const b = seal(SECRET, 'p', 'g', plaintext);
    expect(a).not.toBe(b);
    for (const s of [a, b]) {
      expect(s).not.toContain(plaintext);
      expect(s).not.toContain(Buffer.from(plaintext).toString('base64url'));
      expect(s).toMatch(/^v1(\.[A-Za-z0-9_-]+){4}$/);
    }
  });

  it('refuses another secret, purpose or context, and any altered byte', () => {
    const sealed = seal(SECRET, 'p', 'grant-1', 'x');
    expect(open(`${SECRET}x`, 'p', 'grant-1', sealed)).toBeNull();
    expect(open(SECRET, 'q', 'grant-1', sealed)).toBeNull();
    expect(open(SECRET, 'p', 'grant-2', sealed)).toBeNull();
    const parts = sealed.split('.');
    for (let i = 1; i < parts.length; i++) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      const altered = [...parts.slice(0, i), bytes.toString('base64url'), ...parts.slice(i + 1)].join('.');
      expect(open(SECRET, 'p', 'grant-1', altered)).toBeNull();
    }
    for (const junk of ['', 'v1', 'v2.a.b.c.d', 'v1.a.b.c.d', 'v1....']) expect(open(SECRET, 'p', 'grant-1', junk)).toBeNull();
  });
});
