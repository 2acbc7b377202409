import type { RecordedEvent } from '../store/event-store.js';
import type { ProjectionName } from '../store/read-store.js';
import type { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import type { SqliteReadStore } from '../store/sqlite/sqlite-read-store.js';
import { opsOf, parseRecorded, type ParsedEvent } from './project-events.js';
import type { Projector } from './projector.js';

/**
 * Inline projection, for the embedded store, where the log and the read models share one SQLite
 * connection: the projectors run inside each append transaction, so the events and the rows they
 * make commit together (a token is usable once its append resolves, with no second commit and no
 * reading the events back). A generation whose checkpoint is behind the batch (events appended
 * by a process that does not project them) is first given the events in between, read under the
 * same write lock. See docs/decisions/0007-inline-projection.md.
 */
export function projectInline(
  events: SqliteEventStore,
  reads: SqliteReadStore,
  projectors: readonly Projector[],
  /** Told, inside the transaction, which read models it changes (for caches to forget them). */
  onChange: (projection: ProjectionName) => void = () => {},
): void {
  events.projectInTransaction((written: RecordedEvent[]) => {
    const first = written[0]!.position;
    const last = written.at(-1)!.position;
    const batch = parseRecorded(written);
    const gaps = new Map<string, ParsedEvent[]>();
    const changed: ProjectionName[] = [];
    for (const projector of projectors) {
      const own = opsOf(projector, batch);
      const touched = reads.applyLive(projector.name, last, (done) => {
        const key = done === null ? '' : String(done.commit);
        let gap = gaps.get(key);
        if (!gap) gaps.set(key, (gap = parseRecorded(events.eventsBetween(done, first))));
        return gap.length === 0 ? own : [...opsOf(projector, gap), ...own];
      });
      if (touched) changed.push(projector.name);
    }
    // The commit follows synchronously: nothing can read, and refill a cache with the old rows,
    // between this and the commit.
    for (const name of changed) onChange(name);
  });
}
