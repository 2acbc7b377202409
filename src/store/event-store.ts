/**
 * The event store port. Adapters: sqlite/ (embedded default), esdb/ (production).
 * Positions order every event in the log; revisions order the events of one stream (0-based).
 */

/** A global log position. EventStoreDB has two parts; SQLite uses the same sequence for both. */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventMetadata {
  occurredAt: string;
  actor?: { clientId?: string; userId?: string };
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

export interface NewEvent {
  /** Deterministic ids make a retried append idempotent where the adapter supports it. */
  id?: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  streamId: string;
  revision: bigint;
  position: Position;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface AppendResult {
  /** Revision of the last event written. */
  nextRevision: bigint;
  /** Position of the last event written: wait for projections to pass it for read-your-writes. */
  position: Position;
}

/** One step of a catch-up subscription: new events (possibly none) and a checkpoint to store. */
export interface SubscriptionBatch {
  events: RecordedEvent[];
  checkpoint: Position;
}

export interface Subscription extends AsyncIterable<SubscriptionBatch> {
  close(): Promise<void>;
}

export interface AppendOptions {
  /**
   * false: resolve once the append is committed (visible, revision checked) without waiting for
   * it to reach the disk. Only for an append that a later durable append of the same request
   * follows: the later one's sync covers both, and nothing is answered before it. Stores whose
   * appends are always durable when acknowledged ignore it.
   */
  durable?: boolean;
}

/** One stream's part of an atomic append. */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expected: ExpectedRevision;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams at once, each at its expected revision: all parts are written or,
   * if any revision check fails, none. Only where the store has multi-stream transactions
   * (SQLite); EventStoreDB does not, and callers then append one stream after another.
   */
  appendAtomically?(parts: StreamAppend[]): Promise<AppendResult[]>;
  /**
   * Resolves once every event committed so far, by any process, is on disk. A response that hands
   * out what another request appended (a repeated refresh) waits for this first.
   */
  waitDurable(): Promise<void>;
  /**
   * The events of one stream in revision order, from `fromRevision` (0: all of them); an unknown
   * stream is empty.
   */
  readStream(streamId: string, fromRevision?: bigint): Promise<RecordedEvent[]>;
  /**
   * Up to `maxCount` events of one stream, newest first, from `fromRevision` (inclusive; by default
   * its last event) back; an unknown stream is empty.
   */
  readStreamBackwards(streamId: string, maxCount: number, fromRevision?: bigint): Promise<RecordedEvent[]>;
  /** Up to `limit` events after `from` (exclusive; null = from the start), in log order. */
  readAll(from: Position | null, limit: number): Promise<RecordedEvent[]>;
  /** Position of the newest event, or null for an empty log. */
  headPosition(): Promise<Position | null>;
  /** Catch-up subscription to the whole log, after `from`, that then follows live appends. */
  subscribeAll(from: Position | null): Subscription;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Checkpoints are stored as text so that every store can keep both bigints exactly. */
export function formatPosition(p: Position): string {
  return `${p.commit}/${p.prepare}`;
}

export function parsePosition(s: string): Position {
  const [commit, prepare] = s.split('/');
  if (commit === undefined || prepare === undefined) throw new Error(`bad position ${s}`);
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
}
