import type { Collection } from 'mongodb';
import type { ProjectionName } from '../read-store.js';
import type { GenerationsDoc } from './documents.js';

/** How long a process keeps its view of the active generations before asking again. */
const VIEW_TTL_MS = 500;

/** The generations readers look in: the active one, then any a rebuild is retiring. */
export interface LiveGeneration {
  active: number;
  retiring: number[];
}

/**
 * Each read model's live generations, as last read from the pointers. Readers ask on every lookup,
 * so the view is kept for VIEW_TTL_MS, and the lookups that find it old share one read of it
 * (they come dozens at a time).
 */
export class LiveGenerations {
  private view = new Map<ProjectionName, LiveGeneration>();
  private viewAt = 0;
  /** The read of the view in flight, shared by the lookups that wait for it. */
  private loading: Promise<void> | null = null;
  /** Moved on by a switch made here: a read begun before it must not set the view. */
  private epoch = 0;

  constructor(private readonly pointers: () => Collection<GenerationsDoc>) {}

  async of(projection: ProjectionName): Promise<LiveGeneration> {
    if (Date.now() - this.viewAt > VIEW_TTL_MS) await (this.loading ??= this.load());
    return this.view.get(projection) ?? { active: 1, retiring: [] };
  }

  /** This process switched a generation: the next lookup reads the pointers again. */
  invalidate(): void {
    this.viewAt = 0;
    this.epoch += 1;
    this.loading = null;
  }

  private async load(): Promise<void> {
    const epoch = this.epoch;
    try {
      const docs = await this.pointers().find({}).toArray();
      if (epoch !== this.epoch) return;
      this.view = new Map(docs.map((d) => [d._id as ProjectionName, { active: d.active, retiring: d.retiring }]));
      this.viewAt = Date.now();
    } finally {
      if (epoch === this.epoch) this.loading = null;
    }
  }
}
