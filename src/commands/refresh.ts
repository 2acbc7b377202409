import { OAuthError } from '../domain/errors.js';
import { decideRefresh, evolveGrant, grantStream, initialGrant } from '../domain/grant.js';
import { WrongExpectedRevisionError } from '../store/event-store.js';
import type { ClientView } from '../store/read-store.js';
import { randomToken, sha256Hex } from '../security/tokens.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import type { TokenResponse } from './issue-grant.js';
import { loadAggregate } from './load.js';

/**
 * RFC 6749 §6, with rotation: the presented refresh token is replaced by a new one. The append is
 * made at the grant stream's revision, so of two concurrent refreshes of one token only one wins.
 */
export async function refreshGrant(
  ctx: CommandContext,
  client: ClientView,
  params: { refreshToken: string | undefined; scope: string | undefined },
  meta: RequestMeta,
): Promise<TokenResponse> {
  ensureGrantAllowed(client, 'refresh_token');
  if (!params.refreshToken) throw new OAuthError('invalid_request', 'refresh_token is required');
  const presentedHash = sha256Hex(params.refreshToken);
  const found = await ctx.reads.getToken(presentedHash);
  if (!found || found.kind !== 'refresh') throw new OAuthError('invalid_grant', 'refresh token is invalid');
  const stream = grantStream(found.grantId);
  const accessToken = randomToken();
  const refreshToken = randomToken();
  for (;;) {
    const { state, revision } = await loadAggregate(ctx.events, stream, evolveGrant, initialGrant);
    const now = ctx.now();
    const { events, scope } = decideRefresh(state, found.grantId, {
      presentedHash,
      clientId: client.clientId,
      scope: params.scope,
      now,
      access: { hash: sha256Hex(accessToken), expiresAt: now + ctx.config.ACCESS_TOKEN_LIFETIME },
      refresh: { hash: sha256Hex(refreshToken), expiresAt: now + ctx.config.REFRESH_TOKEN_LIFETIME },
    });
    if (revision === 'no_stream') throw new OAuthError('invalid_grant', 'refresh token is invalid');
    try {
      const actor = { clientId: client.clientId, ...(state.userId ? { userId: state.userId } : {}) };
      const { position } = await ctx.events.append(stream, toNewEvents(events, { ...meta, actor }), revision);
      await ctx.waitForProjection(position);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) continue;
      throw error;
    }
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ctx.config.ACCESS_TOKEN_LIFETIME,
      scope,
      refresh_token: refreshToken,
    };
  }
}
