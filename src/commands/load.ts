import { fold } from '../domain/aggregate.js';
import { type DomainEvent, parseEvent } from '../domain/events.js';
import type { EventStore } from '../store/event-store.js';
import type { AggregateCache } from './aggregate-cache.js';

export interface Loaded<S> {
  state: S;
  /** The stream's revision for an expected-revision append: 'no_stream' when it is empty. */
  revision: bigint | 'no_stream';
  events: DomainEvent[];
}

/** Reads one stream and folds it into an aggregate's state. */
export async function loadAggregate<S>(
  store: EventStore,
  streamId: string,
  evolve: (state: S, event: DomainEvent) => S,
  initial: S,
): Promise<Loaded<S>> {
  const recorded = await store.readStream(streamId);
  const events = recorded.flatMap((r) => {
    const e = parseEvent(r.type, r.data);
    return e ? [e] : [];
  });
  const last = recorded.at(-1);
  return { state: fold(evolve, initial, events), revision: last ? last.revision : 'no_stream', events };
}

/**
 * loadAggregate through a cache: only the events after the cached revision are read and folded
 * onto the cached state. For streams that grow for ever (a token family's), so that loading one
 * costs what was appended since, not its whole history. `evolve` must not mutate its state.
 */
export async function loadCachedAggregate<S>(
  store: EventStore,
  cache: AggregateCache,
  streamId: string,
  evolve: (state: S, event: DomainEvent) => S,
  initial: S,
): Promise<Omit<Loaded<S>, 'events'>> {
  const hit = cache.get<S>(streamId);
  const recorded = await store.readStream(streamId, hit ? hit.revision + 1n : 0n);
  let state = hit ? hit.state : initial;
  for (const r of recorded) {
    const e = parseEvent(r.type, r.data);
    if (e) state = evolve(state, e);
  }
  const revision = recorded.at(-1)?.revision ?? hit?.revision;
  if (revision === undefined) return { state, revision: 'no_stream' };
  cache.set(streamId, state, revision);
  return { state, revision };
}

/**
 * After an append at the revision a cached load gave: folds the appended events onto that state,
 * so that the next load of the stream reads only what others append, not these events back (on a
 * refresh, reading back and parsing its own rotation was a tenth of its CPU). The events must be
 * those appended, as they will read back: plain JSON data, which evolve folds the same either way.
 */
export function rememberAppended<S>(
  cache: AggregateCache,
  streamId: string,
  evolve: (state: S, event: DomainEvent) => S,
  loaded: S,
  appended: readonly DomainEvent[],
  nextRevision: bigint,
): void {
  // A later load or append may have cached a newer state meanwhile: keep that one.
  const cached = cache.get<S>(streamId);
  if (cached && cached.revision >= nextRevision) return;
  cache.set(streamId, fold(evolve, loaded, appended), nextRevision);
}
