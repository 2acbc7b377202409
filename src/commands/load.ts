import { fold } from '../domain/aggregate.js';
import { type DomainEvent, parseEvent } from '../domain/events.js';
import type { EventStore } from '../store/event-store.js';

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
