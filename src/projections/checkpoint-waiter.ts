import { comparePositions, type Position } from '../store/event-store.js';
import type { ProjectionName, ReadStore } from '../store/read-store.js';

/**
 * Read-your-writes for a process that does not run the projections (`serve --api-only`): waits
 * until every projection's stored checkpoint has passed a position. One poll serves all waiters.
 */
export class CheckpointWaiter {
  private waiters: Array<{ position: Position; resolve: () => void; reject: (e: unknown) => void }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly reads: ReadStore,
    private readonly projections: readonly ProjectionName[],
    private readonly intervalMs = 5,
  ) {}

  /** The position every read model has reached (null while any has none). */
  async reached(): Promise<Position | null> {
    // Asked side by side: on a server each is a round trip (MongoReadStore shares them).
    const reached = await Promise.all(this.projections.map((name) => this.reads.getCheckpoint(name)));
    let least: Position | null = null;
    for (const p of reached) {
      if (p === null) return null;
      if (least === null || comparePositions(p, least) < 0) least = p;
    }
    return least;
  }

  waitFor(position: Position): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ position, resolve, reject });
      this.schedule(0);
    });
  }

  private schedule(delay: number): void {
    if (this.timer === null) this.timer = setTimeout(() => void this.poll(), delay);
  }

  private async poll(): Promise<void> {
    try {
      const reached = await this.reached();
      this.timer = null;
      this.waiters = this.waiters.filter((w) => {
        const done = reached !== null && comparePositions(w.position, reached) <= 0;
        if (done) w.resolve();
        return !done;
      });
    } catch (error) {
      this.timer = null;
      for (const w of this.waiters.splice(0)) w.reject(error);
    }
    if (this.waiters.length > 0) this.schedule(this.intervalMs);
  }
}
