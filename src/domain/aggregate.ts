import type { DomainEvent } from './events.js';

/** Rebuilds an aggregate's state from its stream. */
export function fold<S>(evolve: (state: S, event: DomainEvent) => S, initial: S, events: readonly DomainEvent[]): S {
  return events.reduce(evolve, initial);
}
