import { decideDefineScope, evolveScopeDefinition } from '../domain/scope-definition.js';
import type { EventData } from '../domain/events.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { loadAggregate } from './load.js';

/** Defines or changes a scope; returns false when it already stood exactly so. */
export async function defineScope(
  ctx: CommandContext,
  scope: EventData<'ScopeDefined'>,
  meta: RequestMeta,
): Promise<boolean> {
  const stream = `scope-${scope.name}`;
  const { state, revision } = await loadAggregate(ctx.events, stream, evolveScopeDefinition, null);
  const events = decideDefineScope(state, scope);
  if (events.length === 0) return false;
  const { position } = await ctx.events.append(stream, toNewEvents(events, meta), revision);
  await ctx.waitForProjection(position);
  return true;
}
