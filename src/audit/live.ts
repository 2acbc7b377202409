import type { RecordedEvent } from '../store/event-store.js';
import { type AuditedEvent, auditedEvent, shortHash } from './entry.js';

/** A token that was live at the moment asked about. */
export interface LiveToken {
  grantId: string;
  kind: 'access' | 'refresh';
  /** The token's hash, shortened. */
  token: string;
  clientId: string;
  userId: string | null;
  username: string | null;
  scope: string;
  /** When it was issued (the event's time), ISO 8601. */
  issuedAt: string;
  /** When it expires, ISO 8601. */
  expiresAt: string;
}

interface Tracked {
  grantId: string;
  kind: LiveToken['kind'];
  hash: string;
  clientId: string;
  userId: string | null;
  username: string | null;
  scope: string;
  issuedAt: string;
  expiresAtMs: number;
  ended: boolean;
}

/**
 * Rebuilds, from events fed in log order, which tokens were live at `at` (ms since the epoch).
 * Only events recorded at or before `at` count. A token is live at `at` if it was issued at or
 * before it, has not expired by it, and was not revoked at or before it; a refresh also ends the
 * refresh token it rotated away from (the access tokens of a grant live on until they expire or
 * are revoked, as the server treats them). `accept` picks which events to follow (e.g. one
 * client's); it is asked about every audited event, in log order.
 */
export function liveTracker(at: number, accept: (e: AuditedEvent) => boolean = () => true) {
  const tokens = new Map<string, Tracked>();
  const byGrant = new Map<string, Tracked[]>();

  function track(t: Omit<Tracked, 'ended'>): void {
    const tracked = { ...t, ended: false };
    tokens.set(t.hash, tracked);
    byGrant.set(t.grantId, [...(byGrant.get(t.grantId) ?? []), tracked]);
  }
  function end(hash: string): void {
    const t = tokens.get(hash);
    if (t) t.ended = true;
  }

  return {
    add(recorded: RecordedEvent): void {
      const e = auditedEvent(recorded);
      if (e === null || !accept(e)) return;
      const time = recorded.metadata.occurredAt;
      // Events after the moment asked about are not part of the picture at that moment.
      if (Date.parse(time) > at) return;
      switch (e.type) {
        case 'TokenIssued':
        case 'TokenRefreshed': {
          const d = e.data;
          const family = { grantId: d.grantId, clientId: d.clientId, userId: d.userId, username: d.username, scope: d.scope, issuedAt: time };
          if (e.type === 'TokenRefreshed') end(e.data.previousRefreshTokenHash);
          track({ ...family, kind: 'access', hash: d.accessTokenHash, expiresAtMs: d.accessExpiresAt * 1000 });
          if (d.refreshTokenHash !== null && d.refreshExpiresAt !== null) {
            track({ ...family, kind: 'refresh', hash: d.refreshTokenHash, expiresAtMs: d.refreshExpiresAt * 1000 });
          }
          return;
        }
        case 'TokenRevoked':
          if (e.data.tokenHash !== undefined) end(e.data.tokenHash);
          else for (const t of byGrant.get(e.data.grantId) ?? []) t.ended = true;
          return;
        default:
          return;
      }
    },
    /** The live tokens, in the order they were issued. */
    result(): LiveToken[] {
      return [...tokens.values()]
        .filter((t) => !t.ended && at < t.expiresAtMs)
        .map((t) => ({
          grantId: t.grantId,
          kind: t.kind,
          token: shortHash(t.hash),
          clientId: t.clientId,
          userId: t.userId,
          username: t.username,
          scope: t.scope,
          issuedAt: t.issuedAt,
          expiresAt: new Date(t.expiresAtMs).toISOString(),
        }));
    },
  };
}

/** The pure form: the tokens among `events` (in log order) that were live at `at`. */
export function liveAsOf(
  events: Iterable<RecordedEvent>,
  at: number,
  accept?: (e: AuditedEvent) => boolean,
): LiveToken[] {
  const tracker = liveTracker(at, accept);
  for (const r of events) tracker.add(r);
  return tracker.result();
}
