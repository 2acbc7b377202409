import { timeOrderedId } from '../../security/ids.js';
import { BUSY_TIMEOUT_MS, type Db } from './database.js';
import { type AppendResult, type Position, type RecordedEvent, type StreamAppend, WrongExpectedRevisionError } from '../event-store.js';
import { type EventRow, SCHEMA, toPosition, toRecorded } from './event-rows.js';

const RESTORE_BUSY_TIMEOUT = `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`;

/** What became of one append of a batch: its results per stream, or why it was refused. */
export type Outcome = { ok: true; result: AppendResult[] } | { ok: false; error: unknown };

/**
 * Writes a batch of appends in one transaction. Each append checks its own expected revisions,
 * seeing the appends written before it, and fails on its own; the inline projection (if any)
 * then runs on what was written, before the commit.
 */
export class BatchWriter {
  private readonly stmts;
  /** The batch's transaction, and an append's savepoint in it: made once, not per call. */
  private readonly inTransaction;
  private readonly inSavepoint;
  /** Runs inside each batch's transaction with the events it wrote (see projectInTransaction). */
  private onWritten: ((written: RecordedEvent[]) => void) | null = null;
  /** Transactions committed: fewer than appends when group commit batches them. */
  commits = 0;

  constructor(private readonly db: Db) {
    db.exec(SCHEMA);
    this.stmts = {
      revision: db.prepare<[string], { r: number | null }>('SELECT max(revision) AS r FROM events WHERE stream_id = ?'),
      insert: db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)'),
      between: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? AND position < ? ORDER BY position'),
      anyBetween: db.prepare<[number, number], { one: number }>('SELECT 1 AS one FROM events WHERE position > ? AND position < ? LIMIT 1'),
    };
    this.inTransaction = db.transaction((batch: StreamAppend[][], outcomes: Outcome[]) => this.writeAll(batch, outcomes));
    this.inSavepoint = db.transaction((parts: StreamAppend[], written: RecordedEvent[]) =>
      parts.map((part) => this.write(part, written)),
    );
  }

  /**
   * Writes and commits a batch: one outcome per append, in order. Null at once, having written
   * nothing, if another connection holds the write lock: SQLite's busy handler would sleep on the
   * event loop until it is released. Throws, having written nothing, if the transaction itself
   * fails (the disk, or a projector that throws).
   */
  tryWriteBatch(batch: StreamAppend[][]): Outcome[] | null {
    const outcomes: Outcome[] = [];
    // Not a prepared statement: this pragma takes effect when it is prepared, not when it runs.
    // exec, not pragma(): it makes no statement object and reads no rows (a fifth of the cost).
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      // IMMEDIATE: take the write lock up front, instead of failing when a read transaction
      // cannot be upgraded.
      this.inTransaction.immediate(batch, outcomes);
    } catch (error) {
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')) return null;
      throw error;
    } finally {
      this.db.exec(RESTORE_BUSY_TIMEOUT);
    }
    this.commits += 1;
    return outcomes;
  }

  /**
   * Has `project` run inside every batch's transaction, after its events are written and before
   * the commit, with those events in log order: read models in the same file then commit with
   * the events, or not at all (a throw rolls the whole batch back).
   */
  projectInTransaction(project: (written: RecordedEvent[]) => void): void {
    this.onWritten = project;
  }

  /**
   * The events strictly between two positions, read on this connection: inside the batch's
   * transaction, the log cannot change while they are read.
   */
  eventsBetween(after: Position | null, before: Position): RecordedEvent[] {
    const lo = after === null ? 0 : Number(after.commit);
    const hi = Number(before.commit);
    return this.stmts.anyBetween.get(lo, hi) ? this.stmts.between.all(lo, hi).map(toRecorded) : [];
  }

  private writeAll(batch: StreamAppend[][], outcomes: Outcome[]): void {
    const written: RecordedEvent[] = [];
    for (const parts of batch) {
      try {
        // One event is one INSERT, which a failure undoes by itself; more need a savepoint, so
        // that a failed append leaves no partial rows.
        if (parts.length === 1 && parts[0]!.events.length === 1) {
          outcomes.push({ ok: true, result: [this.write(parts[0]!, written)] });
        } else {
          // Its events join `written` only once the savepoint holds all of them.
          const own: RecordedEvent[] = [];
          outcomes.push({ ok: true, result: this.inSavepoint(parts, own) });
          written.push(...own);
        }
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    if (this.onWritten && written.length > 0) this.onWritten(written);
  }

  /** Writes one stream's part; its recorded events join `written` once all of them are in. */
  private write({ streamId, events, expected }: StreamAppend, written: RecordedEvent[]): AppendResult {
    // A new stream (every grant, code and client begins one) is not read first: its first event
    // goes in at revision 0, and the stream index's uniqueness refuses it if the stream exists.
    const current = expected === 'no_stream' ? null : this.currentRevision(streamId);
    const ok =
      expected === 'any' ||
      expected === 'no_stream' ||
      (expected === 'stream_exists' && current !== null) ||
      (typeof expected === 'bigint' && current !== null && BigInt(current) === expected);
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, current === null ? 'no_stream' : BigInt(current));
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
      const info = this.insert(row, expected);
      position = row.position = Number(info.lastInsertRowid);
      rows.push(row);
    }
    // As a later read gives them back (JSON, not the caller's objects), so that a read model
    // built from these equals one rebuilt from the log.
    if (this.onWritten) for (const row of rows) written.push(toRecorded(row));
    return { nextRevision: BigInt(revision), position: toPosition(position) };
  }

  private currentRevision(streamId: string): number | null {
    return this.stmts.revision.get(streamId)?.r ?? null;
  }

  /** Inserts one event row; at revision 0 of an append to no stream, an existing stream is the caller's error. */
  private insert(row: EventRow, expected: StreamAppend['expected']) {
    try {
      return this.stmts.insert.run(row.id, row.stream_id, row.revision, row.type, row.data, row.metadata);
    } catch (error) {
      if (expected === 'no_stream' && row.revision === 0 && isStreamRevisionTaken(error)) {
        throw new WrongExpectedRevisionError(row.stream_id, expected, BigInt(this.currentRevision(row.stream_id)!));
      }
      throw error;
    }
  }
}

/** The stream index refused a row: its stream already has an event at that revision. */
const isStreamRevisionTaken = (error: unknown): boolean =>
  (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
  String((error as { message?: unknown }).message).includes('events.stream_id, events.revision');
