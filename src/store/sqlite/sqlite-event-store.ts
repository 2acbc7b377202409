import { EventEmitter } from 'node:events';
import { closeSync, fdatasync, openSync } from 'node:fs';
import { BatchWriter, type Outcome } from './batch-writer.js';
import { BUSY_TIMEOUT_MS, type Db } from './database.js';
import {
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type Position,
  type RecordedEvent,
  type StreamAppend,
  type Subscription,
} from '../event-store.js';
import { type EventRow, toPosition, toRecorded } from './event-rows.js';
import { pollingSubscription } from './polling-subscription.js';

/**
 * Syncs of the WAL that may run at once. With one, an append committed just after a sync began
 * waited for that sync to end and then for its own: two syncs in a row, the refresh p99's 21-25 ms
 * with two workers. With two, it commits and starts its own sync at once. Side by side: refresh
 * p99 17 ms, client_credentials throughput within noise (+3 to +7% with one worker); three did
 * no better than one.
 */
const SYNCS_IN_FLIGHT = 2;

/**
 * How long a batch that found the write lock taken tries again on every turn of the event loop
 * before it falls back to a millisecond's timer. Another worker holds the lock for one commit,
 * and on a fast machine a millisecond is a dozen requests: side by side with two workers
 * (2026-12-01, a machine issuing 15,000 tokens/s; 6 rounds, 6 of 6 faster)
 * client_credentials 1.28x, code exchange 1.14x, refresh 1.08x. Bounded so that a long hold (a
 * rebuild, the CLI) costs no more than before.
 */
const LOCK_SPIN_MS = 1;

/** One append waiting for the next batch: one stream's part, or several written atomically. */
interface PendingAppend {
  parts: StreamAppend[];
  durable: boolean;
  resolve: (r: AppendResult[]) => void;
  reject: (e: unknown) => void;
}

/**
 * Event store on SQLite. Appends queued together (in one turn of the event loop, or while the
 * syncs in flight run) are written in one transaction (BatchWriter), and an append resolves only
 * once its transaction is on disk: the connection commits without syncing (synchronous=NORMAL)
 * and the WAL file is then fdatasync'ed on libuv's thread pool, so the event loop keeps serving
 * while the disk works, and one sync covers every transaction committed before it started (group
 * commit). See docs/decisions/0006-async-wal-sync.md.
 */
export class SqliteEventStore implements EventStore {
  private readonly appended = new EventEmitter();
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  /** When the queue began waiting for another process's write lock (performance.now()), or null. */
  private lockWaitSince: number | null = null;
  /** Durable appends held back until a running sync ends (see flush). */
  private flushAfterSync = false;
  /** Committed appends waiting for the next sync of the WAL, and how many syncs are running. */
  private unsynced: Array<() => void> = [];
  private syncing = 0;
  private walFd: number | null = null;
  private readonly stmts;
  private readonly writer: BatchWriter;

  constructor(
    private readonly db: Db,
    private readonly pollIntervalMs = 50,
    /** How long appends wait for another process's write lock before they fail. */
    private readonly lockWaitMs = BUSY_TIMEOUT_MS,
  ) {
    this.writer = new BatchWriter(db);
    // Durability comes from syncing the WAL before an append resolves (see the class comment).
    db.pragma('synchronous = NORMAL');
    this.appended.setMaxListeners(0);
    this.stmts = {
      stream: db.prepare<[string, number], EventRow>('SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision'),
      // The last `count` events up to a revision, oldest first. Not ORDER BY revision DESC LIMIT:
      // SQLite's descending walk of the index cost about twice this forward read (13.8 against
      // 7.7 µs for a stream's last event), and a refresh of a family not in the cache does one.
      streamTail: db.prepare<[string, number, string, number, number], EventRow>(
        `SELECT * FROM events WHERE stream_id = ? AND revision <= ?
           AND revision > (SELECT max(revision) FROM events WHERE stream_id = ? AND revision <= ?) - ?
         ORDER BY revision`,
      ),
      all: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM events'),
    };
  }

  /** Transactions committed by append: fewer than appends when group commit batches them. */
  get commits(): number {
    return this.writer.commits;
  }

  /**
   * Syncs of the WAL started: at most one per commit, fewer when one covers several, and one more
   * for each waitDurable (a refresh repeated within its grace window).
   */
  syncs = 0;

  /** See BatchWriter.projectInTransaction: the inline projection of the embedded store. */
  projectInTransaction(project: (written: RecordedEvent[]) => void): void {
    this.writer.projectInTransaction(project);
  }

  /** See BatchWriter.eventsBetween. */
  eventsBetween(after: Position | null, before: Position): RecordedEvent[] {
    return this.writer.eventsBetween(after, before);
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    const [result] = await this.enqueue([{ streamId, events, expected }], options.durable ?? true);
    return result!;
  }

  /** One transaction, one revision check per stream: all parts are written, or none. */
  appendAtomically(parts: StreamAppend[]): Promise<AppendResult[]> {
    return this.enqueue(parts, true);
  }

  private enqueue(parts: StreamAppend[], durable: boolean): Promise<AppendResult[]> {
    if (parts.length === 0 || parts.some((p) => p.events.length === 0)) {
      return Promise.reject(new Error('append needs at least one event'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ parts, durable, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    // While as many syncs run as may, durable appends wait for one to end before they commit:
    // they could not be acknowledged before the next sync anyway, and held back they make fewer,
    // larger commits (a commit's cost is mostly per transaction, not per event). Appends that
    // need only the commit go at once, and take the queue with them.
    if (this.syncing >= SYNCS_IN_FLIGHT && this.queue.every((p) => p.durable)) {
      this.flushAfterSync = true;
      return;
    }
    this.flushAfterSync = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    let outcomes: Outcome[] | null;
    try {
      outcomes = this.writer.tryWriteBatch(batch.map((pending) => pending.parts));
      if (outcomes === null) return this.retryWhenUnlocked();
      this.lockWaitSince = null;
      this.queue = [];
    } catch (error) {
      this.queue = [];
      this.lockWaitSince = null;
      // The transaction failed (disk full, I/O error, a projector that threw): nothing of the
      // batch was written.
      for (const pending of batch) pending.reject(error);
      return;
    }
    const settle = (pending: PendingAppend, i: number) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    };
    // A failed append is settled at once (nothing of it was written); a committed one once it is
    // on disk, unless its caller asked only for the commit.
    batch.forEach((pending, i) => {
      if (!outcomes[i]!.ok || !pending.durable) settle(pending, i);
    });
    this.unsynced.push(() =>
      batch.forEach((pending, i) => {
        if (outcomes[i]!.ok && pending.durable) settle(pending, i);
      }),
    );
    if (outcomes.some((o) => o.ok)) this.appended.emit('appended');
    this.sync();
  }

  /**
   * Another process (a second server worker, the CLI) holds the write lock: try again on the next
   * turn of the event loop, serving requests meanwhile, with whatever else was queued by then, for
   * up to LOCK_SPIN_MS (about one batch of another worker); then every millisecond, for at most
   * lockWaitMs. See LOCK_SPIN_MS.
   */
  private retryWhenUnlocked(): void {
    const now = performance.now();
    this.lockWaitSince ??= now;
    const waited = now - this.lockWaitSince;
    if (waited > this.lockWaitMs) {
      const batch = this.queue;
      this.queue = [];
      this.lockWaitSince = null;
      const error = Object.assign(new Error(`the event store stayed locked by another process for ${this.lockWaitMs} ms`), { code: 'SQLITE_BUSY' });
      for (const pending of batch) pending.reject(error);
      return;
    }
    this.flushScheduled = true;
    if (waited < LOCK_SPIN_MS) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), 1);
  }

  /** Always one more sync: fdatasync of the WAL also covers frames another process committed. */
  waitDurable(): Promise<void> {
    return new Promise((resolve) => {
      this.unsynced.push(resolve);
      this.sync();
    });
  }

  /**
   * Syncs the WAL once for every batch committed so far, beside a sync already running (up to
   * SYNCS_IN_FLIGHT); batches committed meanwhile wait for the next.
   */
  private sync(): void {
    if (this.syncing >= SYNCS_IN_FLIGHT || this.unsynced.length === 0) return;
    this.syncing += 1;
    this.syncs += 1;
    const settled = this.unsynced;
    this.unsynced = [];
    this.walFd ??= openSync(`${this.db.name}-wal`, 'r');
    fdatasync(this.walFd, (error) => {
      this.syncing -= 1;
      if (error) {
        // Not known to be on disk: the process must not go on as if it were.
        this.appended.emit('sync-failed', error);
        throw error;
      }
      for (const resolve of settled) resolve();
      if (this.flushAfterSync) this.flush();
      this.sync();
    });
  }

  async readStream(streamId: string, fromRevision = 0n): Promise<RecordedEvent[]> {
    return this.stmts.stream.all(streamId, Number(fromRevision)).map(toRecorded);
  }

  async readStreamBackwards(streamId: string, maxCount: number, fromRevision?: bigint): Promise<RecordedEvent[]> {
    const from = fromRevision === undefined ? Number.MAX_SAFE_INTEGER : Number(fromRevision);
    return this.stmts.streamTail.all(streamId, from, streamId, from, maxCount).reverse().map(toRecorded);
  }

  async readAll(from: Position | null, limit: number): Promise<RecordedEvent[]> {
    return this.stmts.all.all(from === null ? 0 : Number(from.commit), limit).map(toRecorded);
  }

  async headPosition(): Promise<Position | null> {
    const p = this.stmts.head.get()?.p ?? null;
    return p === null ? null : toPosition(p);
  }

  subscribeAll(from: Position | null): Subscription {
    return pollingSubscription(this, this.appended, from, this.pollIntervalMs);
  }

  async close(): Promise<void> {
    this.appended.emit('close');
    while (this.syncing > 0 || this.unsynced.length > 0 || this.flushScheduled || this.flushAfterSync) await new Promise((r) => setTimeout(r, 5));
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }
}
