import { BACKWARDS, END, EventStoreDBClient, type ReadPosition, type ReadStreamOptions } from '@eventstore/db-client';
import {
  comparePositions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type Position,
  type RecordedEvent,
  type Subscription,
} from '../event-store.js';
import {
  checkAppendResult,
  fromEsdbPosition,
  isStreamNotFound,
  isSystemEvent,
  toEsdbExpectedRevision,
  toEventData,
  toReadPosition,
  toRecordedEvent,
  toStoreError,
} from './mapping.js';
import { esdbSubscription } from './subscription.js';

/** Events read from $all per round trip; system events are read and dropped client-side. */
const ALL_PAGE = 1000;
/** Events per round trip when looking backwards for the newest non-system event. */
const HEAD_PAGE = 64;

/** The event store on EventStoreDB (gRPC client). Every call reads its whole answer, then returns. */
export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly client: EventStoreDBClient) {}

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const data = events.map((e, i) => toEventData(streamId, expected, i, e));
    let position: Position | null;
    let nextRevision: bigint;
    try {
      const result = await this.client.appendToStream(streamId, data, {
        expectedRevision: toEsdbExpectedRevision(expected),
      });
      position = checkAppendResult(result, streamId, expected);
      nextRevision = result.nextExpectedRevision;
    } catch (err) {
      throw toStoreError(err, streamId, expected);
    }
    // An idempotent retry (same event ids) succeeds without a position: look the event up.
    return { nextRevision, position: position ?? (await this.positionOf(streamId, nextRevision)) };
  }

  private async positionOf(streamId: string, revision: bigint): Promise<Position> {
    for await (const resolved of this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
      if (resolved.event?.position) return fromEsdbPosition(resolved.event.position);
    }
    throw new Error(`no position for ${streamId}@${revision} (server older than 22.6?)`);
  }

  /** EventStoreDB acknowledges and serves only durable writes. */
  async waitDurable(): Promise<void> {}

  readStream(streamId: string, fromRevision = 0n): Promise<RecordedEvent[]> {
    return this.readStreamWith(streamId, fromRevision > 0n ? { fromRevision } : {});
  }

  readStreamBackwards(streamId: string, maxCount: number, fromRevision?: bigint): Promise<RecordedEvent[]> {
    return this.readStreamWith(streamId, { direction: BACKWARDS, fromRevision: fromRevision ?? END, maxCount });
  }

  /** One stream's events as the client's read gives them; an unknown stream is empty. */
  private async readStreamWith(streamId: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, options)) {
        if (resolved.event) out.push(toRecordedEvent(resolved.event));
      }
    } catch (err) {
      if (isStreamNotFound(err)) return [];
      throw err;
    }
    return out;
  }

  async readAll(from: Position | null, limit: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    // ESDB reads $all from a position inclusively; the port's `from` is exclusive.
    let after = from;
    const pageSize = Math.min(Math.max(limit + 1, 100), ALL_PAGE);
    while (out.length < limit) {
      let read = 0;
      let lastSeen: Position | null = null;
      for await (const resolved of this.client.readAll({ fromPosition: toReadPosition(after), maxCount: pageSize })) {
        read += 1;
        const record = resolved.event;
        if (!record) continue;
        const position = fromEsdbPosition(record.position);
        lastSeen = position;
        if (after !== null && comparePositions(position, after) <= 0) continue;
        if (isSystemEvent(record) || out.length >= limit) continue;
        out.push(toRecordedEvent(record));
      }
      if (read < pageSize || lastSeen === null) break;
      after = lastSeen;
    }
    return out;
  }

  async headPosition(): Promise<Position | null> {
    let before: Position | null = null;
    for (;;) {
      const fromPosition: ReadPosition = before ?? END;
      let read = 0;
      let lastSeen: Position | null = null;
      let found: Position | null = null;
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition, maxCount: HEAD_PAGE })) {
        read += 1;
        const record = resolved.event;
        if (!record) continue;
        const position = fromEsdbPosition(record.position);
        lastSeen = position;
        if (before !== null && comparePositions(position, before) >= 0) continue;
        if (found === null && !isSystemEvent(record)) found = position;
      }
      if (found !== null) return found;
      if (read < HEAD_PAGE || lastSeen === null) return null;
      before = lastSeen;
    }
  }

  subscribeAll(from: Position | null): Subscription {
    const subscription = esdbSubscription(this.client, from, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }
}

/** Opens the store on a connection string, e.g. `esdb://localhost:2113?tls=false`. */
export function openEsdbEventStore(connectionString: string): EventStore {
  return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString));
}
