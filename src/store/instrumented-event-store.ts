import type { EventStore } from './event-store.js';

/** Times every append (the durable write a response waits for) without changing what it does. */
export function instrumentAppends(store: EventStore, observe: (seconds: number) => void): EventStore {
  return {
    async append(streamId, events, expected, options) {
      const started = process.hrtime.bigint();
      try {
        return await store.append(streamId, events, expected, options);
      } finally {
        observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
    waitDurable: () => store.waitDurable(),
    readStream: (streamId) => store.readStream(streamId),
    readAll: (from, limit) => store.readAll(from, limit),
    headPosition: () => store.headPosition(),
    subscribeAll: (from) => store.subscribeAll(from),
    close: () => store.close(),
  };
}
