import type { Config } from '../config.js';
import type { AggregateCache } from './aggregate-cache.js';
import type { DomainEvent } from '../domain/events.js';
import type { EventMetadata, EventStore, NewEvent, Position } from '../store/event-store.js';
import type { ReadStore } from '../store/read-store.js';

/** What every command handler is given by the composition root. */
export interface CommandContext {
  events: EventStore;
  reads: ReadStore;
  config: Pick<
    Config,
    'ACCESS_TOKEN_LIFETIME' | 'AUTH_CODE_LIFETIME' | 'REFRESH_TOKEN_LIFETIME' | 'IGNORE_CLIENT_REQUESTED_SCOPE' | 'REQUIRE_PKCE' | 'REFRESH_REUSE_GRACE'
  >;
  /** Unix seconds. */
  now(): number;
  /**
   * Whether each append commits its read-model rows with it (the embedded store): a row is then as
   * fresh as its stream, and as cheap to read. Elsewhere a row may lag, and costs a round trip.
   */
  inlineProjection: boolean;
  /** Resolves once the read models reflect the log up to `position` (read-your-writes). */
  waitForProjection(position: Position): Promise<void>;
  /** Aggregates loaded recently, for streams that grow without end (see loadCachedAggregate). */
  aggregates: AggregateCache;
}

/** Where a command came from, recorded with its events for the audit trail. */
export interface RequestMeta {
  requestId?: string;
  ip?: string;
  userAgent?: string;
  actor?: { clientId?: string; userId?: string };
}

export function toNewEvents(events: readonly DomainEvent[], meta: RequestMeta): NewEvent[] {
  const metadata: EventMetadata = { occurredAt: new Date().toISOString(), ...meta };
  return events.map((e) => ({ type: e.type, data: e.data, metadata }));
}
