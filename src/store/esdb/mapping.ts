import {
  ANY,
  ErrorType,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type AppendResult as EsdbAppendResult,
  type EventData,
  type JSONType,
  type ReadPosition,
} from '@eventstore/db-client';
import { z } from 'zod';
import {
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  type Position,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../event-store.js';
import { eventIdFor } from './event-id.js';

/** Pure conversions between the port's types and the EventStoreDB client's. No I/O here. */

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (expected < 0n) throw new RangeError(`expected revision must be >= 0, got ${expected}`);
      return expected;
  }
}

/** Both parts are kept: a commit position alone does not order the events of one transaction. */
export function fromEsdbPosition(p: { readonly commit: bigint; readonly prepare: bigint }): Position {
  return { commit: p.commit, prepare: p.prepare };
}

/** Where a read or subscription starts: null is the start of the log. */
export function toReadPosition(from: Position | null): ReadPosition {
  return from === null ? START : { commit: from.commit, prepare: from.prepare };
}

/**
 * Servers before 22.6 do not send positions on stream reads; such events get this position.
 * Positions from readAll, subscribeAll and append are always real.
 */
export const UNKNOWN_POSITION: Position = Object.freeze({ commit: -1n, prepare: -1n });

/** System events: `$`-types (stats, metadata, links, ...) and anything in a `$`-stream. */
export function isSystemEvent(e: { readonly type: string; readonly streamId: string }): boolean {
  return e.type.startsWith('$') || e.streamId.startsWith('$');
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

function toJsonData(data: unknown): JSONType {
  if (typeof data === 'string' || Array.isArray(data) || isRecord(data)) return data;
  throw new TypeError('event data must be a JSON object, array or string');
}

/** Our event as a JSON event; its metadata goes into the event's (JSON) metadata. */
export function toEventData(
  streamId: string,
  expected: ExpectedRevision,
  index: number,
  event: NewEvent,
): EventData {
  return jsonEvent({
    id: eventIdFor(streamId, expected, index, event),
    type: event.type,
    data: toJsonData(event.data),
    metadata: { ...event.metadata },
  });
}

const MetadataSchema = z.object({
  occurredAt: z.string(),
  actor: z.object({ clientId: z.string().optional(), userId: z.string().optional() }).optional(),
  requestId: z.string().optional(),
  ip: z.string().optional(),
  userAgent: z.string().optional(),
});

export class MalformedEventError extends Error {
  constructor(
    readonly eventId: string,
    readonly streamId: string,
    reason: string,
  ) {
    super(`event ${eventId} in ${streamId}: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/** The parts of a client-side recorded event that we read (the client has parsed JSON already). */
export interface EsdbRecord {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  /** Parsed JSON, raw bytes when it was not JSON, or undefined when empty. */
  readonly metadata: unknown;
  readonly position?: { readonly commit: bigint; readonly prepare: bigint } | undefined;
}

export function parseMetadata(record: EsdbRecord): EventMetadata {
  const parsed = MetadataSchema.safeParse(record.metadata);
  if (!parsed.success) {
    throw new MalformedEventError(record.id, record.streamId, `bad metadata: ${parsed.error.message}`);
  }
  return parsed.data;
}

export function toRecordedEvent(record: EsdbRecord): RecordedEvent {
  return {
    id: record.id,
    streamId: record.streamId,
    revision: record.revision,
    position: record.position ? fromEsdbPosition(record.position) : UNKNOWN_POSITION,
    type: record.type,
    data: record.data,
    metadata: parseMetadata(record),
  };
}

const hasType = (err: unknown, type: ErrorType): boolean =>
  typeof err === 'object' && err !== null && 'type' in err && err.type === type;

export function isWrongExpectedVersion(err: unknown): boolean {
  return err instanceof WrongExpectedVersionError || hasType(err, ErrorType.WRONG_EXPECTED_VERSION);
}

export function isStreamNotFound(err: unknown): boolean {
  return err instanceof StreamNotFoundError || hasType(err, ErrorType.STREAM_NOT_FOUND);
}

/** The client reports a missing stream as 'no_stream' (older paths: -1 or no value). */
export function toActualRevision(actual: unknown): bigint | 'no_stream' {
  return typeof actual === 'bigint' && actual >= 0n ? actual : 'no_stream';
}

/** A client error as the port's error: a version conflict becomes WrongExpectedRevisionError. */
export function toStoreError(err: unknown, streamId: string, expected: ExpectedRevision): unknown {
  if (!isWrongExpectedVersion(err)) return err;
  const actual =
    typeof err === 'object' && err !== null && 'actualVersion' in err ? err.actualVersion : undefined;
  return new WrongExpectedRevisionError(streamId, expected, toActualRevision(actual));
}

/**
 * Checks an append's result. The client throws on a conflict by default; a client built with
 * throwOnAppendFailure=false returns success=false and the current revision (-1: no stream).
 * Returns the position, or null when the server sent none (an idempotent retry does that).
 */
export function checkAppendResult(
  result: EsdbAppendResult,
  streamId: string,
  expected: ExpectedRevision,
): Position | null {
  if (!result.success) {
    throw new WrongExpectedRevisionError(streamId, expected, toActualRevision(result.nextExpectedRevision));
  }
  return result.position ? fromEsdbPosition(result.position) : null;
}
