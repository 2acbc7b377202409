import {
  excludeSystemEvents,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import {
  comparePositions,
  type Position,
  type RecordedEvent,
  type Subscription,
  type SubscriptionBatch,
} from '../event-store.js';
import { fromEsdbPosition, isSystemEvent, toReadPosition, toRecordedEvent } from './mapping.js';

type Item = { kind: 'event'; event: RecordedEvent } | { kind: 'checkpoint'; position: Position };

/** Most events per batch; a batch never holds events past a checkpoint-only item. */
const MAX_BATCH = 100;
/** Queue length at which the gRPC stream is paused, and at which it is resumed. */
const HIGH_WATER = 1000;
const LOW_WATER = 100;

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A catch-up subscription to $all, after `from` (exclusive), then live. The server filters out
 * system events and reports a checkpoint every 32 events it reads (the default search window),
 * so the checkpoint moves on through long stretches of system events: those become batches
 * without events. Checkpoints only ever move forwards; events at or before the last one handed
 * out are dropped.
 */
export function esdbSubscription(
  client: EventStoreDBClient,
  from: Position | null,
  onClose: () => void = () => {},
): Subscription {
  const queue: Item[] = [];
  let last: Position | null = from;
  let failure: { error: unknown } | null = null;
  let ended = false;
  let closed = false;
  let wake: (() => void) | null = null;

  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const ahead = (p: Position) => last === null || comparePositions(p, last) > 0;
  const push = (item: Item, position: Position) => {
    last = position;
    queue.push(item);
    if (queue.length >= HIGH_WATER && !sub.isPaused()) sub.pause();
    notify();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    notify();
  };

  const onCheckpoint = async (s: AllStreamSubscription, p: Position) => {
    // The client calls this in order with the events, but events it has already converted may
    // still sit in its readable buffer. Let them reach the queue first, so that a checkpoint is
    // never handed out ahead of an event before it.
    while (s.readableLength > 0 && !closed && failure === null) await tick(s.isPaused() ? 10 : 0);
    const position = fromEsdbPosition(p);
    if (!closed && ahead(position)) push({ kind: 'checkpoint', position }, position);
  };

  const onEvent = (resolved: AllStreamResolvedEvent) => {
    const record = resolved.event;
    if (record === undefined || closed) return;
    const position = fromEsdbPosition(record.position);
    if (!ahead(position)) return;
    // The server filter is on event types; a `$`-stream can still hold a non-`$` type.
    if (isSystemEvent(record)) return push({ kind: 'checkpoint', position }, position);
    try {
      push({ kind: 'event', event: toRecordedEvent(record) }, position);
    } catch (error) {
      fail(error);
      void close();
    }
  };

  const sub = client.subscribeToAll({
    fromPosition: toReadPosition(from),
    filter: excludeSystemEvents({ checkpointInterval: 1, checkpointReached: onCheckpoint }),
  });
  sub.on('data', onEvent);
  sub.on('error', fail);
  sub.on('end', () => {
    ended = true;
    notify();
  });

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    notify();
    onClose();
    try {
      await sub.unsubscribe();
    } catch {
      // The call never opened (server unreachable): there is nothing to cancel.
    }
  }

  function take(): SubscriptionBatch {
    const head = queue[0]!;
    if (head.kind === 'checkpoint') {
      queue.shift();
      return { events: [], checkpoint: head.position };
    }
    const events: RecordedEvent[] = [];
    while (events.length < MAX_BATCH) {
      const next = queue[0];
      if (next?.kind !== 'event') break;
      queue.shift();
      events.push(next.event);
    }
    return { events, checkpoint: events[events.length - 1]!.position };
  }

  async function* batches(): AsyncGenerator<SubscriptionBatch> {
    try {
      for (;;) {
        while (queue.length === 0) {
          if (failure !== null) throw failure.error;
          if (closed || ended) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        const batch = take();
        if (queue.length <= LOW_WATER && sub.isPaused() && !closed) sub.resume();
        yield batch;
      }
    } finally {
      await close();
    }
  }

  const iterator = batches();
  return { [Symbol.asyncIterator]: () => iterator, close };
}
