import { createHash, hash, timingSafeEqual } from 'node:crypto';
import { randomView } from './random-pool.js';

/** A token's issuing millisecond, then its body: 27 random bytes, or a successor's derived ones. */
export const TOKEN_TIME_BYTES = 6;
export const TOKEN_BODY_BYTES = 27;
/** base64url length of a token: 33 bytes, no padding. */
const TOKEN_LENGTH = 44;

/**
 * A bearer token, refresh token or authorization code: 33 bytes, base64url. The first 6 are the
 * issuing millisecond, the other 27 (216 bits) are random: well above the 128 bits RFC 6749
 * §10.10 asks for. The time is not secret (every event records it); it puts the token's row in the
 * read models at the right edge of their indexes (see tokenDigest).
 */
export function randomToken(now = Date.now()): string {
  return timeThenRandom(now, TOKEN_BODY_BYTES).toString('base64url');
}

/** The millisecond `now` in TOKEN_TIME_BYTES, then `randomBytes` from the CSPRNG: a token, or a successor's seed. */
export function timeThenRandom(now: number, randomBytes: number): Buffer {
  const bytes = Buffer.allocUnsafe(TOKEN_TIME_BYTES + randomBytes);
  bytes.writeUIntBE(now, 0, TOKEN_TIME_BYTES);
  randomView(randomBytes).copy(bytes, TOKEN_TIME_BYTES);
  return bytes;
}

/** A token of the same format from its 6 time bytes and 27 body bytes (see security/successor.ts). */
export function mintedToken(time: Buffer, body: Buffer): string {
  return Buffer.concat([time, body], TOKEN_TIME_BYTES + TOKEN_BODY_BYTES).toString('base64url');
}

/**
 * The key a token or code is stored and looked up by: the hex of its issuing time, then the first
 * 208 bits of its SHA-256 (64 hex digits in all). Keys of tokens issued together sort together, so
 * a batch of new tokens touches a few index pages instead of one random page each (and the pages
 * in use stay in cache as the read models grow). A token of the earlier format (32 random bytes)
 * has no time: its key is its whole SHA-256, as before.
 */
export function tokenDigest(token: string): string {
  const hash = sha256Hex(token);
  if (token.length !== TOKEN_LENGTH) return hash;
  const time = Buffer.from(token.slice(0, 8), 'base64url');
  return time.length === TOKEN_TIME_BYTES ? time.toString('hex') + hash.slice(0, 52) : hash;
}

/** One-shot crypto.hash: a third of createHash's cost, on every request that presents a token. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
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
