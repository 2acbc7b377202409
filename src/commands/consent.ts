import {
  type ConsentAnswer,
  type ConsentState,
  consentStream,
  decideGrantConsent,
  decideRevokeConsent,
  evolveConsent,
  initialConsent,
} from '../domain/consent.js';
import type { DomainEvent } from '../domain/events.js';
import { usernameStream } from '../domain/user.js';
import { type EventStore, WrongExpectedRevisionError } from '../store/event-store.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { loadAggregate } from './load.js';

/**
 * Remembered consent is read from its own stream, never from a read model: the authorization
 * endpoint sees an Allow or a revocation (even one the CLI wrote a moment ago) on the next request,
 * and no projection is needed for it.
 */
export async function loadConsent(ctx: CommandContext, userId: string, clientId: string): Promise<ConsentState> {
  return (await loadAggregate(ctx.events, consentStream(userId, clientId), evolveConsent, initialConsent)).state;
}

/** Loads, decides and appends under the loaded revision; a concurrent answer makes it decide again. */
async function decideAndAppend(
  ctx: CommandContext,
  stream: string,
  decide: (state: ConsentState) => DomainEvent[],
  meta: RequestMeta,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const { state, revision } = await loadAggregate(ctx.events, stream, evolveConsent, initialConsent);
    const events = decide(state);
    if (events.length === 0) return false;
    try {
      await ctx.events.append(stream, toNewEvents(events, meta), revision);
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= 3) throw error;
    }
  }
}

/** Remembers an Allow; false when the remembered consent already stood exactly so. */
export function grantConsent(ctx: CommandContext, answer: ConsentAnswer, meta: RequestMeta): Promise<boolean> {
  const actor = { clientId: answer.clientId, userId: answer.userId };
  return decideAndAppend(ctx, consentStream(answer.userId, answer.clientId), (s) => decideGrantConsent(s, answer), {
    ...meta,
    actor,
  });
}

/** Forgets what the user allowed the client; false when nothing was remembered. */
export function revokeConsent(
  ctx: CommandContext,
  ids: { userId: string; clientId: string },
  meta: RequestMeta,
): Promise<boolean> {
  return decideAndAppend(ctx, consentStream(ids.userId, ids.clientId), (s) => decideRevokeConsent(s, ids), meta);
}

/** A user's id from the claim on `username-<lowercased>`: the CLI runs no projections to ask a read model. */
export async function userIdByUsername(events: EventStore, username: string): Promise<string | null> {
  const { events: claims } = await loadAggregate(events, usernameStream(username), (s: null) => s, null);
  for (const e of claims) if (e.type === 'UsernameClaimed') return e.data.userId;
  return null;
}
