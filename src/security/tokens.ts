import { createHash, timingSafeEqual } from 'node:crypto';
import { randomView } from './random-pool.js';

/** A bearer token, refresh token or authorization code: 256 random bits, base64url. */
export function randomToken(): string {
  return randomView(32).toString('base64url');
}

/** Tokens and codes are stored and looked up only by this hash. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The PKCE S256 transform (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Compare equal-length buffers so the time taken does not reveal where they differ.
  return x.length === y.length ? timingSafeEqual(x, y) : (timingSafeEqual(x, x), false);
}
