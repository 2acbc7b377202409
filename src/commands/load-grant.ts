import { evolveGrant, type GrantState, grantStateAfterIssue, grantStream, initialGrant, startsGrantState } from '../domain/grant.js';
import type { TokenView } from '../store/read-store.js';
import type { CommandContext } from './context.js';
import { loadCachedAggregate, type Loaded } from './load.js';

export type LoadedGrant = Omit<Loaded<GrantState>, 'events'>;

/**
 * A token family's state and revision, through the aggregate cache; a family not in it is read
 * back only to its latest rotation (decision 0012).
 */
export function loadGrant(ctx: CommandContext, grantId: string): Promise<LoadedGrant> {
  return loadCachedAggregate(ctx.events, ctx.aggregates, grantStream(grantId), evolveGrant, initialGrant, startsGrantState);
}

/**
 * The family's state as a refresh token's row records it, at the revision of the event that
 * issued the token, with no read of the stream (decision 0015). An append at that revision holds
 * only if nothing was appended since: if the token is still the current one and the grant
 * stands. Null when the row cannot tell (an access token, or a row written before 0015), and for
 * an expired token: whether it was rotated before it expired is the stream's to say.
 */
export function presumeGrant(row: TokenView, now: number): LoadedGrant | null {
  const { grantRevision, grantedScope } = row;
  if (row.kind !== 'refresh' || row.status !== 'active' || grantRevision === null || grantedScope === null) return null;
  if (now >= row.expiresAt) return null;
  return { state: grantStateAfterIssue({ ...row, grantedScope }), revision: BigInt(grantRevision) };
}
