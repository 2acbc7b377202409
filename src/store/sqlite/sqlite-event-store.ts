import { EventEmitter } from 'node:events';
import { closeSync, fdatasync, openSync } from 'node:fs';
import { timeOrderedId } from '../../security/ids.js';
import type { Db } from './database.js';
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
  WrongExpectedRevisionError,
} from '../event-store.js';
import { pollingSubscription } from './polling-subscription.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  id        TEXT    NOT NULL UNIQUE,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);`;

interface EventRow {
  position: number;
  id: string;
  stream_id: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

/** One append waiting for the next batch: one stream's part, or several written atomically. */
interface PendingAppend {
  parts: StreamAppend[];
  durable: boolean;
  resolve: (r: AppendResult[]) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult[] } | { ok: false; error: unknown };

const toPosition = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: toPosition(row.position),
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as RecordedEvent['metadata'],
  };
}

/**
 * Event store on SQLite. Appends queued together (in one turn of the event loop, or while the
 * previous sync runs) are written in one transaction, and an append resolves only once its transaction is on disk: the connection commits
 * without syncing (synchronous=NORMAL) and the WAL file is then fdatasync'ed on libuv's thread pool,
 * so the event loop keeps serving while the disk works, and one sync covers every transaction
 * committed before it started (group commit). Each append still checks its own expected revision,
 * seeing the appends committed before it. See docs/decisions/0006-async-wal-sync.md.
 */
export class SqliteEventStore implements EventStore {
  private readonly appended = new EventEmitter();
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  /** Durable appends held back until the running sync ends (see flush). */
  private flushAfterSync = false;
  /** Committed appends waiting for the next sync of the WAL, and whether a sync is running. */
  private unsynced: Array<() => void> = [];
  private syncing = false;
  private walFd: number | null = null;
  private readonly stmts;
  /** The batch's transaction, and each append's savepoint in it: made once, not per call. */
  private readonly writeBatch;
  private readonly writeInSavepoint;
  /** Transactions committed by append: fewer than appends when group commit batches them. */
  commits = 0;
  /** Runs inside each append transaction with the events it wrote (see projectInTransaction). */
  private onWritten: ((written: RecordedEvent[]) => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly pollIntervalMs = 50,
  ) {
    db.exec(SCHEMA);
    // Durability comes from syncing the WAL before an append resolves (see the class comment).
    db.pragma('synchronous = NORMAL');
    this.appended.setMaxListeners(0);
    this.writeBatch = db.transaction((batch: PendingAppend[], outcomes: Outcome[]) => this.writeAll(batch, outcomes));
    this.writeInSavepoint = db.transaction((parts: StreamAppend[], written: RecordedEvent[]) =>
      parts.map((part) => this.write(part, written)),
    );
    this.stmts = {
      revision: db.prepare<[string], { r: number | null }>(
        'SELECT max(revision) AS r FROM events WHERE stream_id = ?',
      ),
      insert: db.prepare(
        'INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      stream: db.prepare<[string], EventRow>('SELECT * FROM events WHERE stream_id = ? ORDER BY revision'),
      all: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM events'),
      between: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? AND position < ? ORDER BY position'),
      anyBetween: db.prepare<[number, number], { one: number }>('SELECT 1 AS one FROM events WHERE position > ? AND position < ? LIMIT 1'),
    };
  }

  /** Writes a batch of appends, each on its own, then has them projected; the caller commits. */
  private writeAll(batch: PendingAppend[], outcomes: Outcome[]): void {
    const written: RecordedEvent[] = [];
    for (const pending of batch) {
      try {
        // One event is one INSERT, which a failure undoes by itself; several need a savepoint,
        // so that a failed append leaves no partial rows.
        const { parts } = pending;
        if (parts.length === 1 && parts[0]!.events.length === 1) {
          outcomes.push({ ok: true, result: [this.write(parts[0]!, written)] });
        } else {
          // Its events join `written` only once the savepoint holds all of them.
          const own: RecordedEvent[] = [];
          outcomes.push({ ok: true, result: this.writeInSavepoint(parts, own) });
          written.push(...own);
        }
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    if (this.onWritten && written.length > 0) this.onWritten(written);
  }

  /**
   * Has `project` run inside every append transaction, after the batch's events are written and
   * before the commit, with those events in log order: read models in the same file then commit
   * with the events, or not at all (a throw rolls the whole batch back).
   */
  projectInTransaction(project: (written: RecordedEvent[]) => void): void {
    this.onWritten = project;
  }

  /**
   * The events strictly between two positions, read on this connection: inside an append
   * transaction, the log cannot change while they are read.
   */
  eventsBetween(after: Position | null, before: Position): RecordedEvent[] {
    const lo = after === null ? 0 : Number(after.commit);
    const hi = Number(before.commit);
    return this.stmts.anyBetween.get(lo, hi) ? this.stmts.between.all(lo, hi).map(toRecorded) : [];
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
    // While a sync runs, durable appends wait for its end before they commit: they could not be
    // acknowledged before the next sync anyway, and held back they make fewer, larger commits
    // (a commit's cost is mostly per transaction, not per event). Appends that need only the
    // commit go at once, and take the queue with them.
    if (this.syncing && this.queue.every((p) => p.durable)) {
      this.flushAfterSync = true;
      return;
    }
    this.flushAfterSync = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes: Outcome[] = [];
    try {
      // IMMEDIATE: take the write lock up front, waiting (busy_timeout) for a writer in
      // another process, instead of failing when a read transaction cannot be upgraded.
      this.writeBatch.immediate(batch, outcomes);
      this.commits += 1;
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is durable.
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

  /** Always one more sync: fdatasync of the WAL also covers frames another process committed. */
  waitDurable(): Promise<void> {
    return new Promise((resolve) => {
      this.unsynced.push(resolve);
      this.sync();
    });
  }

  /** Syncs the WAL once for every batch committed so far; batches committed meanwhile wait for the next. */
  private sync(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    this.syncing = true;
    const settled = this.unsynced;
    this.unsynced = [];
    this.walFd ??= openSync(`${this.db.name}-wal`, 'r');
    fdatasync(this.walFd, (error) => {
      this.syncing = false;
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

  /** Writes one append; its recorded events join `written` only if all of them were written. */
  private write({ streamId, events, expected }: StreamAppend, written: RecordedEvent[]): AppendResult {
    const current = this.stmts.revision.get(streamId)?.r ?? null;
    const actual = current === null ? 'no_stream' : BigInt(current);
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === null) ||
      (expected === 'stream_exists' && current !== null) ||
      (typeof expected === 'bigint' && current !== null && BigInt(current) === expected);
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, actual);
    let revision = current ?? -1;
    let position = 0;
    const rows: EventRow[] = [];
    for (const e of events) {
      revision += 1;
      const row = {
        position: 0,
        id: e.id ?? timeOrderedId(),
        stream_id: streamId,
        revision,
        type: e.type,
        data: JSON.stringify(e.data),
        metadata: JSON.stringify(e.metadata),
      };
      const info = this.stmts.insert.run(row.id, row.stream_id, row.revision, row.type, row.data, row.metadata);
      position = row.position = Number(info.lastInsertRowid);
      rows.push(row);
    }
    // As a later read gives them back (JSON, not the caller's objects), so a read model built
    // from these equals one rebuilt from the log.
    if (this.onWritten) for (const row of rows) written.push(toRecorded(row));
    return { nextRevision: BigInt(revision), position: toPosition(position) };
  }

  async readStream(streamId: string): Promise<RecordedEvent[]> {
    return this.stmts.stream.all(streamId).map(toRecorded);
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
    while (this.syncing || this.unsynced.length > 0 || this.flushScheduled || this.flushAfterSync) await new Promise((r) => setTimeout(r, 5));
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }
}
