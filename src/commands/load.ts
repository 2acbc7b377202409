import { fold } from '../domain/aggregate.js';
import { type DomainEvent, parseEvent } from '../domain/events.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
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
 * Events read back at the first step when a load looks for where a state starts; each step then
 * reads twice as many. Mostly the last event starts the state (a family's latest rotation).
 */
const FIRST_TAIL_STEP = 1;

/** A stored event's revision and its domain event (null for a type this version does not know). */
interface ParsedEvent {
  revision: bigint;
  event: DomainEvent | null;
}

const parsed = (r: RecordedEvent): ParsedEvent => ({ revision: r.revision, event: parseEvent(r.type, r.data) });

/**
 * loadAggregate through a cache: only the events after the cached revision are read and folded
 * onto the cached state. For streams that grow for ever (a token family's), so that loading one
 * costs what was appended since, not its whole history. `evolve` must not mutate its state.
 *
 * With `startsState`, a stream that is not cached is read backwards only as far as the latest
 * event after which the state needs nothing older (folded onto `initial`, that event and the ones
 * after it give what the whole stream gives), so that a cold load costs the same at any length.
 */
export async function loadCachedAggregate<S>(
  store: EventStore,
  cache: AggregateCache,
  streamId: string,
  evolve: (state: S, event: DomainEvent) => S,
  initial: S,
  startsState?: (event: DomainEvent) => boolean,
): Promise<Omit<Loaded<S>, 'events'>> {
  const hit = cache.get<S>(streamId);
  const read =
    hit || !startsState
      ? (await store.readStream(streamId, hit ? hit.revision + 1n : 0n)).map(parsed)
      : await readTail(store, streamId, startsState);
  let state = hit ? hit.state : initial;
  for (const { event } of read) if (event) state = evolve(state, event);
  const revision = read.at(-1)?.revision ?? hit?.revision;
  if (revision === undefined) return { state, revision: 'no_stream' };
  cache.set(streamId, state, revision);
  return { state, revision };
}

/**
 * The events of a stream from the latest one that `startsState` accepts (or from its start), in
 * revision order. Read backwards from the stream's last event at the first step: events
 * appended meanwhile are not read, and the append's revision check catches them.
 */
async function readTail(
  store: EventStore,
  streamId: string,
  startsState: (event: DomainEvent) => boolean,
): Promise<ParsedEvent[]> {
  const newestFirst: ParsedEvent[] = [];
  let from: bigint | undefined;
  for (let count = FIRST_TAIL_STEP; ; count *= 2) {
    const page = await store.readStreamBackwards(streamId, count, from);
    for (const r of page) {
      const p = parsed(r);
      newestFirst.push(p);
      if (p.event && startsState(p.event)) return newestFirst.reverse();
    }
    const oldest = page.at(-1);
    if (page.length < count || !oldest || oldest.revision === 0n) return newestFirst.reverse();
    from = oldest.revision - 1n;
  }
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

/**
 * Decides on a state presumed from a read-model row, or on the stream's (decision 0015). A refusal
 * decided on a presumed state is null: the row may be behind the stream, so the caller decides
 * again on the stream before it answers with an error.
 */
export function decideOrRecheck<D>(presumed: boolean, decide: () => D): D | null {
  try {
    return decide();
  } catch (error) {
    if (presumed) return null;
    throw error;
  }
}
