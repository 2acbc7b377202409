import type { EventStore } from './event-store.js';

/** Times every append (the durable write a response waits for) without changing what it does. */
export function instrumentAppends(store: EventStore, observe: (seconds: number) => void): EventStore {
  const timed = async <T>(write: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    try {
      return await write();
    } finally {
      observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  const atomic = store.appendAtomically?.bind(store);
  return {
    append: (streamId, events, expected, options) => timed(() => store.append(streamId, events, expected, options)),
    ...(atomic ? { appendAtomically: (parts) => timed(() => atomic(parts)) } : {}),
    waitDurable: () => store.waitDurable(),
    readStream: (streamId, fromRevision) => store.readStream(streamId, fromRevision),
    readStreamBackwards: (streamId, maxCount, fromRevision) => store.readStreamBackwards(streamId, maxCount, fromRevision),
    readAll: (from, limit) => store.readAll(from, limit),
    headPosition: () => store.headPosition(),
    subscribeAll: (from) => store.subscribeAll(from),
    close: () => store.close(),
  };
}
