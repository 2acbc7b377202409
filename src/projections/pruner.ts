import type { Logger } from 'pino';
import type { ReadStore } from '../store/read-store.js';

/** How often expired tokens and codes are pruned from the read models. */
const PRUNE_EVERY_MS = 60_000;

/** Deletes expired token and code rows now and then; returns the function that stops it. */
export function startPruning(reads: ReadStore, log: Logger, now: () => number): () => void {
  const prune = async () => {
    try {
      const pruned = await reads.pruneExpired(now());
      if (pruned > 0) log.debug({ pruned }, 'pruned expired tokens and codes');
    } catch (error) {
      log.warn({ err: error }, 'pruning failed; will retry');
    }
  };
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS).unref();
  return () => clearInterval(timer);
}
