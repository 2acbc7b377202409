import { codeStream, decideRedeemCode, evolveCode, initialCode } from '../domain/authorization-code.js';
import { OAuthError } from '../domain/errors.js';
import { type Position, type StreamAppend, WrongExpectedRevisionError } from '../store/event-store.js';
import type { ClientView } from '../store/read-store.js';
import { s256, tokenDigest } from '../security/tokens.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { type PreparedGrant, prepareGrant, type TokenResponse } from './issue-grant.js';
import { decideOrRecheck, loadAggregate } from './load.js';
import { presumeCode } from './presume-code.js';
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
  const verifierChallenge = req.codeVerifier === undefined ? undefined : s256(req.codeVerifier);
  // With inline projection, first from the code's row (decision 0015): the redemption's append at
  // its revision fails if anything came after, and an answer other than a redemption is decided
  // again on the stream. Then, after a lost race, and on read models elsewhere (where the row
  // costs a round trip more than the stream), from the stream.
  const row = ctx.inlineProjection ? await ctx.reads.getCode(codeHash) : null;
  for (let presumed = presumeCode(row); ; presumed = null) {
    const { state, revision } = presumed ?? (await loadAggregate(ctx.events, stream, evolveCode, initialCode));
    const decision = decideOrRecheck(presumed !== null, () =>
      decideRedeemCode(state, {
        clientId: client.clientId,
        redirectUri: req.redirectUri,
        codeVerifier: req.codeVerifier,
        verifierChallenge,
        now: ctx.now(),
      }),
    );
    if (decision === null) continue;
    if (revision === 'no_stream') throw new OAuthError('invalid_grant', 'authorization code is invalid');
    const redemption = toNewEvents(decision.events, actor);
    if (decision.outcome === 'redeemed') {
      const { issued } = decision;
      const grant = prepareGrant(
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
      try {
        const position = await redeemAndIssue(ctx, { streamId: stream, events: redemption, expected: revision }, grant);
        await ctx.waitForProjection(position);
        return grant.response;
      } catch (error) {
        // Another exchange of this code won: read it again, and see a replay.
        if (error instanceof WrongExpectedRevisionError && error.streamId === stream) continue;
        throw error;
      }
    }
    try {
      await ctx.events.append(stream, redemption, revision);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) continue;
      throw error;
    }
    await revokeGrant(ctx, decision.grantId, 'code_replay', actor);
    throw new OAuthError('invalid_grant', 'authorization code has already been used');
  }
}

/**
 * The redemption and the grant's TokenIssued: in one transaction where the store has them (one
 * commit, one sync), else the redemption first, committed but not awaited to disk, then the grant,
 * whose sync covers both (see AppendOptions). Either way the redemption's expected revision
 * decides between concurrent exchanges, and no grant is issued for a code that lost.
 */
async function redeemAndIssue(ctx: CommandContext, redemption: StreamAppend, grant: PreparedGrant): Promise<Position> {
  const issue: StreamAppend = { streamId: grant.stream, events: grant.events, expected: 'no_stream' };
  if (ctx.events.appendAtomically) return (await ctx.events.appendAtomically([redemption, issue])).at(-1)!.position;
  await ctx.events.append(redemption.streamId, redemption.events, redemption.expected, { durable: false });
  return (await ctx.events.append(issue.streamId, issue.events, issue.expected)).position;
}
