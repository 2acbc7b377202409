import type { EventEmitter } from 'node:events';
import type { EventStore, Position, Subscription, SubscriptionBatch } from '../event-store.js';

const PAGE = 1000;

/**
 * A catch-up subscription over readAll: pages through the log, then waits for an in-process
 * append notice or, for appends by other processes (the CLI, another API process), a poll tick.
 */
export function pollingSubscription(
  store: Pick<EventStore, 'readAll'>,
  appended: EventEmitter,
  from: Position | null,
  pollIntervalMs: number,
): Subscription {
  let closed = false;
  let wake: (() => void) | null = null;
  // Set by a notice that arrives while a page is being handled, so the wait below is skipped.
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    wake?.();
  };
  const onClose = () => {
    closed = true;
    wake?.();
  };
  appended.on('appended', onSignal);
  appended.on('close', onClose);

  const close = async () => {
    closed = true;
    appended.off('appended', onSignal);
    appended.off('close', onClose);
    wake?.();
  };

  async function* batches(): AsyncGenerator<SubscriptionBatch> {
    let position = from;
    try {
      while (!closed) {
        signalled = false;
        const events = await store.readAll(position, PAGE);
        if (events.length > 0) {
          position = events[events.length - 1]!.position;
          yield { events, checkpoint: position };
          if (events.length === PAGE) continue;
        }
        if (closed) break;
        if (signalled) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    } finally {
      await close();
    }
  }

  const iterator = batches();
  return { [Symbol.asyncIterator]: () => iterator, close };
}
