import { type RecentMap, recentMap } from '../recent-map.js';

/**
 * States of recently loaded aggregates, each with the stream revision it was folded up to. Events
 * never change once written, so a cached state stays exact: loading a stream again reads only
 * what was appended after that revision (by this process or any other) and folds it on. This
 * keeps a refresh from reading a token family's whole history, which grows with every rotation.
 */
export class AggregateCache {
  private readonly entries: RecentMap<string, { state: unknown; revision: bigint }>;

  constructor(maxEntries = 10_000) {
    this.entries = recentMap(maxEntries);
  }

  get<S>(streamId: string): { state: S; revision: bigint } | undefined {
    return this.entries.get(streamId) as { state: S; revision: bigint } | undefined;
  }

  set<S>(streamId: string, state: S, revision: bigint): void {
    this.entries.set(streamId, { state, revision });
  }
}
