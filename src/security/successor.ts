import { createHmac } from 'node:crypto';
import { open } from './seal.js';
import { mintedToken, timeThenRandom, TOKEN_BODY_BYTES, TOKEN_TIME_BYTES } from './tokens.js';

/**
 * The token pair a refresh rotates to, kept in the log so that only a holder of the rotated
 * refresh token can have it again: a repeat of the refresh within the grace window is answered
 * with the same pair, though the log holds only the hashes of all three tokens.
 *
 * `v2.<seed>` (since 2026-11-29): the pair is derived, not stored. Its two token bodies are the
 * first 54 bytes of HMAC-SHA512(previous refresh token, label ‖ grant id ‖ seed); the seed, in
 * the log, is the minting millisecond (the tokens' time prefix) and 16 random bytes. Without the
 * previous token the seed gives nothing; without the seed (128 random bits) the previous token
 * gives nothing. It replaced `v1`, which sealed a random pair with AES-256-GCM (seal.ts): the
 * same property, but creating the cipher cost 10-60 µs per refresh in the server, a tenth to a
 * quarter of a refresh's CPU; the one HMAC does not show. `v1` values in the log still open.
 */
export interface SuccessorPair {
  access_token: string;
  refresh_token: string;
}

const LABEL = 'oauth2 refresh successor v2\0';
const SEED_RANDOM_BYTES = 16;
const SEED_BYTES = TOKEN_TIME_BYTES + SEED_RANDOM_BYTES;
/** The v1 seal's purpose label; the grant id was its authenticated context. */
const V1_PURPOSE = 'refresh successor';

function derive(previousRefreshToken: string, grantId: string, seed: Buffer): SuccessorPair {
  // The seed has a fixed length and comes last, so label, grant id and seed cannot run together.
  const mac = createHmac('sha512', previousRefreshToken).update(LABEL).update(grantId).update('\0').update(seed).digest();
  const time = seed.subarray(0, TOKEN_TIME_BYTES);
  return {
    access_token: mintedToken(time, mac.subarray(0, TOKEN_BODY_BYTES)),
    refresh_token: mintedToken(time, mac.subarray(TOKEN_BODY_BYTES, 2 * TOKEN_BODY_BYTES)),
  };
}

/** A new successor pair, and what the rotation records so that recoverSuccessor can give it again. */
export function mintSuccessor(previousRefreshToken: string, grantId: string, now = Date.now()): { pair: SuccessorPair; recorded: string } {
  const seed = timeThenRandom(now, SEED_RANDOM_BYTES);
  return { pair: derive(previousRefreshToken, grantId, seed), recorded: `v2.${seed.toString('base64url')}` };
}

/** The pair a rotation recorded, or null if `recorded` is not a successor this module made. */
export function recoverSuccessor(previousRefreshToken: string, grantId: string, recorded: string): SuccessorPair | null {
  if (recorded.startsWith('v2.')) {
    const seed = Buffer.from(recorded.slice(3), 'base64url');
    return seed.length === SEED_BYTES ? derive(previousRefreshToken, grantId, seed) : null;
  }
  const text = open(previousRefreshToken, V1_PURPOSE, grantId, recorded);
  if (text === null) return null;
  try {
    const pair = JSON.parse(text) as Partial<SuccessorPair>;
    return typeof pair.access_token === 'string' && typeof pair.refresh_token === 'string'
      ? { access_token: pair.access_token, refresh_token: pair.refresh_token }
      : null;
  } catch {
    return null;
  }
}
