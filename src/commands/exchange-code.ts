import { codeStream, decideRedeemCode, evolveCode, initialCode } from '../domain/authorization-code.js';
import { OAuthError } from '../domain/errors.js';
import { WrongExpectedRevisionError } from '../store/event-store.js';
import type { ClientView } from '../store/read-store.js';
import { s256, tokenDigest } from '../security/tokens.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { issueGrant, type TokenResponse } from './issue-grant.js';
import { loadAggregate } from './load.js';
import { revokeGrant } from './revoke.js';

export interface CodeExchange {
  code: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

/**
 * RFC 6749 §4.1.3. Redemption is appended at the code stream's revision, so of two concurrent
 * exchanges exactly one wins; the loser re-reads the stream, sees a replay, and revokes the grant.
 */
export async function exchangeCode(
  ctx: CommandContext,
  client: ClientView,
  req: CodeExchange,
  meta: RequestMeta,
): Promise<TokenResponse> {
  ensureGrantAllowed(client, 'authorization_code');
  if (!req.code) throw new OAuthError('invalid_request', 'code is required');
  const codeHash = tokenDigest(req.code);
  const stream = codeStream(codeHash);
  const actor = { ...meta, actor: { clientId: client.clientId } };
  for (;;) {
    const { state, revision } = await loadAggregate(ctx.events, stream, evolveCode, initialCode);
    const decision = decideRedeemCode(state, {
      clientId: client.clientId,
      redirectUri: req.redirectUri,
      codeVerifier: req.codeVerifier,
      verifierChallenge: req.codeVerifier === undefined ? undefined : s256(req.codeVerifier),
      now: ctx.now(),
    });
    if (revision === 'no_stream') throw new OAuthError('invalid_grant', 'authorization code is invalid');
    try {
      // A redemption is not awaited to disk: the grant's TokenIssued, appended next, is, and its
      // sync covers this commit too (see AppendOptions). A replay's record is awaited.
      await ctx.events.append(stream, toNewEvents(decision.events, actor), revision, {
        durable: decision.outcome !== 'redeemed',
      });
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) continue;
      throw error;
    }
    if (decision.outcome === 'replayed') {
      await revokeGrant(ctx, decision.grantId, 'code_replay', actor);
      throw new OAuthError('invalid_grant', 'authorization code has already been used');
    }
    const { issued } = decision;
    return issueGrant(
      ctx,
      {
        grantType: 'authorization_code',
        grantId: issued.grantId,
        clientId: client.clientId,
        userId: issued.userId,
        username: issued.username,
        scope: issued.scope,
        withRefreshToken: client.grantTypes.includes('refresh_token'),
        codeHash,
      },
      { ...meta, actor: { clientId: client.clientId, userId: issued.userId } },
    );
  }
}
