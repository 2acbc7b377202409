import { OAuthError } from '../domain/errors.js';
import { decideRefreshAttempt, evolveGrant, type GrantState, grantStream, type RefreshDecision } from '../domain/grant.js';
import { WrongExpectedRevisionError } from '../store/event-store.js';
import type { ClientView } from '../store/read-store.js';
import { mintSuccessor, recoverSuccessor } from '../security/successor.js';
import { randomToken, tokenDigest } from '../security/tokens.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import type { TokenResponse } from './issue-grant.js';
import { decideOrRecheck, rememberAppended } from './load.js';
import { loadGrant, presumeGrant } from './load-grant.js';

/**
 * RFC 6749 §6 with RFC 9700 §4.14 rotation and reuse detection. The presented refresh token is
 * replaced by a new one, appended at the grant stream's revision so that of concurrent refreshes
 * of one token exactly one rotates it. The others (and any repeat within REFRESH_REUSE_GRACE
 * seconds) answer the same successor pair, which the event records in a form only the old refresh
 * token turns back into tokens (security/successor.ts); a rotated token presented later is reuse
 * and revokes the whole grant. A repeat gets the successor as it was issued, with its scope,
 * whatever `scope` the repeat asks for.
 */
export async function refreshGrant(
  ctx: CommandContext,
  client: ClientView,
  params: { refreshToken: string | undefined; scope: string | undefined },
  meta: RequestMeta,
): Promise<TokenResponse> {
  ensureGrantAllowed(client, 'refresh_token');
  const presented = params.refreshToken;
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  const presentedHash = tokenDigest(presented);
  const found = await ctx.reads.getToken(presentedHash);
  if (!found || found.kind !== 'refresh') throw new OAuthError('invalid_grant', 'refresh token is invalid');
  const { grantId } = found;
  const stream = grantStream(grantId);
  const grace = ctx.config.REFRESH_REUSE_GRACE;
  const { pair: successor, recorded: sealedSuccessor } =
    grace > 0
      ? mintSuccessor(presented, grantId)
      : { pair: { access_token: randomToken(), refresh_token: randomToken() }, recorded: undefined };
  const decide = (state: GrantState, now: number): RefreshDecision =>
    decideRefreshAttempt(
      state,
      grantId,
      {
        presentedHash,
        // Found above as a refresh token of this grant: the stream is the one its row names.
        presentedIsGrantRefreshToken: true,
        clientId: client.clientId,
        scope: params.scope,
        now,
        access: { hash: tokenDigest(successor.access_token), expiresAt: now + ctx.config.ACCESS_TOKEN_LIFETIME },
        refresh: { hash: tokenDigest(successor.refresh_token), expiresAt: now + ctx.config.REFRESH_TOKEN_LIFETIME },
        ...(sealedSuccessor === undefined ? {} : { sealedSuccessor }),
      },
      grace,
    );
  // First from the family's state as the presented token's row records it (decision 0015): the
  // append at its revision fails if anything came after, and an answer other than a rotation is
  // decided again on the stream. Then, and after a lost race, from the stream.
  for (let presumed = presumeGrant(found, ctx.now()); ; presumed = null) {
    const { state, revision } = presumed ?? (await loadGrant(ctx, grantId));
    const now = ctx.now();
    const decision = decideOrRecheck(presumed !== null, () => decide(state, now));
    if (decision === null) continue;
    if (revision === 'no_stream') throw new OAuthError('invalid_grant', 'refresh token is invalid');

    if (decision.outcome === 'repeat') {
      const pair = recoverSuccessor(presented, grantId, decision.sealed);
      // Only a corrupted log gets here: the presented token is the one the pair was recorded for.
      if (pair === null || tokenDigest(pair.access_token) !== decision.accessTokenHash) {
        throw new OAuthError('invalid_grant', 'refresh token has already been used');
      }
      // The rotation may be another request's, committed but not yet on disk or in the read
      // models: the pair is handed out only once both hold it. Read from the loaded revision
      // only: a family's stream grows with every rotation.
      await ctx.events.waitDurable();
      const last = (await ctx.events.readStream(stream, revision)).at(-1);
      if (last) await ctx.waitForProjection(last.position);
      return {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        token_type: 'Bearer',
        expires_in: Math.max(0, decision.accessExpiresAt - now),
        scope: decision.scope,
      };
    }

    try {
      const actor = { clientId: client.clientId, ...(state.userId ? { userId: state.userId } : {}) };
      const { position, nextRevision } = await ctx.events.append(stream, toNewEvents(decision.events, { ...meta, actor }), revision);
      rememberAppended(ctx.aggregates, stream, evolveGrant, state, decision.events, nextRevision);
      await ctx.waitForProjection(position);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) continue;
      throw error;
    }
    if (decision.outcome === 'reuse') {
      throw new OAuthError('invalid_grant', 'refresh token has already been used; the grant is revoked');
    }
    return {
      access_token: successor.access_token,
      token_type: 'Bearer',
      expires_in: ctx.config.ACCESS_TOKEN_LIFETIME,
      scope: decision.scope,
      refresh_token: successor.refresh_token,
    };
  }
}
