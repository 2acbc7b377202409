import type { ReadStore, TokenView } from '../store/read-store.js';
import { tokenDigest } from '../security/tokens.js';

/** The access token behind a bearer value, if it is live: known, an access token, not revoked, not expired. */
export async function activeAccessToken(reads: ReadStore, bearer: string, now: number): Promise<TokenView | null> {
  const token = await reads.getToken(tokenDigest(bearer));
  if (!token || token.kind !== 'access' || now >= token.expiresAt) return null;
  return token;
}
