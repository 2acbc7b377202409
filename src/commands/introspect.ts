import { isCurrentRefreshToken } from '../domain/grant.js';
import { tokenDigest } from '../security/tokens.js';
import type { ClientView } from '../store/read-store.js';
import type { CommandContext } from './context.js';
import { loadGrant } from './load-grant.js';

/** RFC 7662 §2.2. An inactive answer is exactly `{ active: false }`: it tells nothing more. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      username?: string;
      sub: string;
      token_type: 'Bearer' | 'refresh_token';
      exp: number;
      iat: number;
      iss: string;
    };

/**
 * A client may introspect the tokens issued to it; a resource server (a client flag) any token.
 * Unknown, expired, revoked, rotated, or not the caller's: inactive.
 */
export async function introspect(
  ctx: CommandContext,
  caller: ClientView,
  token: string,
  issuer: string,
): Promise<Introspection> {
  const found = await ctx.reads.getToken(tokenDigest(token));
  if (
    !found ||
    found.status !== 'active' ||
    ctx.now() >= found.expiresAt ||
    (!caller.resourceServer && found.clientId !== caller.clientId)
  ) {
    return { active: false };
  }
  // A rotation leaves the rotated token's row as it was (decision 0014): whether a refresh token
  // is still current is its grant's to say.
  if (found.kind === 'refresh' && !isCurrentRefreshToken((await loadGrant(ctx, found.grantId)).state, found.hash)) {
    return { active: false };
  }
  return {
    active: true,
    scope: found.scope,
    client_id: found.clientId,
    ...(found.username !== null ? { username: found.username } : {}),
    sub: found.userId ?? found.clientId,
    token_type: found.kind === 'access' ? 'Bearer' : 'refresh_token',
    exp: found.expiresAt,
    iat: found.issuedAt,
    iss: issuer,
  };
}
