import { comparePositions, type EventStore, type Position } from '../store/event-store.js';
import type { CatchUp, ReadStore } from '../store/read-store.js';
import type { Projector } from './projector.js';
import { projectEvents } from './project-events.js';

const PAGE = 2000;

export interface RebuildProgress {
  projection: string;
  events: number;
  /** How far through the log, 0..1, by commit position (event counts are not known up front). */
  fraction: number;
}

export interface RebuildOptions {
  onProgress?: (p: RebuildProgress) => void;
  /**
   * How long the old generation stays after the switch, for readers that have not switched yet
   * (they look again every 0.5 s); null leaves it to dropRetired.
   */
  retireAfterMs?: number | null;
}

/** Drops the retiring generations of these projections after a grace period. */
export async function dropRetired(reads: ReadStore, projections: readonly string[], afterMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, afterMs));
  for (const g of await reads.generations()) {
    if (projections.includes(g.projection) && g.status === 'retiring') await reads.dropGeneration(g.projection, g.generation);
  }
}

/**
 * Rebuilds one read model from the log into a new generation while the live one keeps serving;
 * then makes the new one active (the store applies the last events and switches in one step where
 * it can) and drops the old one after a grace period. Interrupted, it leaves the live models as
 * they were, and the next rebuild starts clean.
 */
export async function rebuildProjection(
  events: EventStore,
  reads: ReadStore,
  projector: Projector,
  { onProgress, retireAfterMs = 2000 }: RebuildOptions = {},
): Promise<{ generation: number; events: number }> {
  const name = projector.name;
  const generation = await reads.createGeneration(name);
  const head = await events.headPosition();
  let from: Position | null = null;
  let count = 0;
  const report = () =>
    onProgress?.({
      projection: name,
      events: count,
      fraction: head && from && head.commit > 0n ? Math.min(1, Number(from.commit) / Number(head.commit)) : 1,
    });
  while (head && (!from || comparePositions(from, head) < 0)) {
    const page = await events.readAll(from, PAGE);
    const last = page.at(-1);
    if (!last) break;
    await reads.commitTo(name, generation, projectEvents(projector, page), last.position);
    from = last.position;
    count += page.length;
    report();
  }
  await reads.activate(name, generation, async (checkpoint) => {
    const rest: CatchUp = { entries: [], checkpoint };
    for (;;) {
      const page = await events.readAll(rest.checkpoint, PAGE);
      const last = page.at(-1);
      if (!last) return rest;
      rest.entries.push(...projectEvents(projector, page));
      rest.checkpoint = last.position;
      count += page.length;
    }
  });
  report();
  if (retireAfterMs !== null) await dropRetired(reads, [name], retireAfterMs);
  return { generation, events: count };
}
