import { evolveGrant, type GrantState, grantStream, initialGrant, startsGrantState } from '../domain/grant.js';
import type { CommandContext } from './context.js';
import { loadCachedAggregate, type Loaded } from './load.js';

/**
 * A token family's state and revision, through the aggregate cache; a family not in it is read
 * back only to its latest rotation (decision 0012).
 */
export function loadGrant(ctx: CommandContext, grantId: string): Promise<Omit<Loaded<GrantState>, 'events'>> {
  return loadCachedAggregate(ctx.events, ctx.aggregates, grantStream(grantId), evolveGrant, initialGrant, startsGrantState);
}
