import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';

/**
 * `read`, shared by every call made in one synchronous run of JavaScript: the first call starts
 * it, the others get its promise. The driver sends nothing before that run ends (every operation
 * starts with an await), so each call still sees every write made before it, as a read of its own
 * would. The projector commits its read models side by side (ProjectionRunner), and each of them
 * needs the same pointers and checkpoints: one round trip instead of one per read model.
 */
export function sharedInRun<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | null = null;
  return () => {
    if (current) return current;
    // Queued before `read` starts: cleared before any of its own continuations can run.
    queueMicrotask(() => (current = null));
    return (current = read());
  };
}

/**
 * Writes to one collection made while one round of promise continuations runs, sent together as
 * one bulkWrite once it has run (process.nextTick runs after the microtasks), in the order they
 * were made. Each caller's promise settles with the whole batch: rejected if any of its writes
 * failed (those before it may have been applied; the projector's writes are safe to repeat).
 */
export class BatchedWrites<T extends Document> {
  private pending: Array<{ op: AnyBulkWriteOperation<T>; resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly collection: () => Collection<T>) {}

  write(op: AnyBulkWriteOperation<T>): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) process.nextTick(() => this.flush());
      this.pending.push({ op, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.collection()
      .bulkWrite(
        batch.map((w) => w.op),
        { ordered: true },
      )
      .then(
        () => batch.forEach((w) => w.resolve()),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      );
  }
}
