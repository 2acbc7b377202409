import { type EventData, event } from '../domain/events.js';
import { decideRevokeGrant, grantStream } from '../domain/grant.js';
import { WrongExpectedRevisionError } from '../store/event-store.js';
import { tokenDigest } from '../security/tokens.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { loadGrant } from './load-grant.js';

type Reason = EventData<'TokenRevoked'>['reason'];

/** Ends a whole token family; returns once the revocation is durable and projected. */
export async function revokeGrant(ctx: CommandContext, grantId: string, reason: Reason, meta: RequestMeta): Promise<void> {
  const stream = grantStream(grantId);
  for (;;) {
    const { state, revision } = await loadGrant(ctx, grantId);
    const events = decideRevokeGrant(state, grantId, reason);
    if (events.length === 0 || revision === 'no_stream') return;
    try {
      const { position } = await ctx.events.append(stream, toNewEvents(events, meta), revision);
      await ctx.waitForProjection(position);
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
}

/**
 * RFC 7009: a refresh token ends its grant; an access token ends itself. A token that is
 * unknown, or was issued to another client, is left alone and the answer is the same.
 */
export async function revokeToken(
  ctx: CommandContext,
  clientId: string,
  token: string,
  meta: RequestMeta,
): Promise<void> {
  const found = await ctx.reads.getToken(tokenDigest(token));
  if (!found || found.clientId !== clientId) return;
  if (found.kind === 'refresh') {
    await revokeGrant(ctx, found.grantId, 'revocation_request', meta);
    return;
  }
  const revoked = event('TokenRevoked', {
    grantId: found.grantId,
    clientId,
    reason: 'revocation_request',
    tokenHash: found.hash,
  });
  const { position } = await ctx.events.append(grantStream(found.grantId), toNewEvents([revoked], meta), 'stream_exists');
  await ctx.waitForProjection(position);
}
