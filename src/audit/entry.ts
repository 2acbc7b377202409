import { type DomainEvent, parseEvent } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';

/**
 * One recorded event as a security reviewer reads it. The field names are stable: `--json` and the
 * HTTP API hand them to other tools. Hashes appear only shortened (see shortHash); secrets, sealed
 * values and full hashes never appear.
 */
export interface AuditEntry {
  /** When the event was recorded, ISO 8601 with milliseconds (UTC). */
  time: string;
  /** The event type, e.g. TokenIssued. */
  event: string;
  /** The stream it was recorded on; a code stream's hash is shortened. */
  stream: string;
  /** Who caused it: the authenticated client and, where there was one, the user. */
  actor: { clientId?: string; userId?: string };
  requestId?: string;
  ip?: string;
  userAgent?: string;
  /** What happened; the fields depend on the event (see detailsOf). */
  details: Record<string, string | number | boolean | null>;
}

/** Events that belong to a grant's life, in the order they can happen. */
export const GRANT_EVENTS = [
  'CodeIssued',
  'CodeRedeemed',
  'CodeReplayDetected',
  'TokenIssued',
  'TokenRefreshed',
  'RefreshTokenReuseDetected',
  'TokenRevoked',
] as const;

/** Events an audit of a client or a user shows besides its grants. */
export const CONSENT_EVENTS = ['ConsentGranted', 'ConsentRevoked'] as const;

export type GrantEvent = Extract<DomainEvent, { type: (typeof GRANT_EVENTS)[number] }>;
export type ConsentEvent = Extract<DomainEvent, { type: (typeof CONSENT_EVENTS)[number] }>;
export type AuditedEvent = GrantEvent | ConsentEvent;

/**
 * A token's or code's digest as the audit shows it: an ellipsis and its last 8 hex characters
 * (hash bits; a digest begins with the issuing time, the same for tokens issued together).
 */
export function shortHash(hash: string): string {
  return `…${hash.slice(-8)}`;
}

const isoSeconds = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** The stream name with any hash in it shortened (`code-<sha256>` names the code's hash). */
export function displayStream(streamId: string): string {
  return streamId.replace(/[0-9a-f]{64}/g, (h) => shortHash(h));
}

const AUDITED: ReadonlySet<string> = new Set([...GRANT_EVENTS, ...CONSENT_EVENTS]);

/** The event, parsed, when an audit shows it; null for every other event (clients, users, scopes). */
export function auditedEvent(recorded: RecordedEvent): AuditedEvent | null {
  if (!AUDITED.has(recorded.type)) return null;
  return parseEvent(recorded.type, recorded.data) as AuditedEvent | null;
}

export function isGrantEvent(e: AuditedEvent): e is GrantEvent {
  return (GRANT_EVENTS as readonly string[]).includes(e.type);
}

/** The details of each audited event, with stable field names. */
export function detailsOf(e: AuditedEvent): AuditEntry['details'] {
  switch (e.type) {
    case 'CodeIssued': {
      const d = e.data;
      return {
        grantId: d.grantId,
        clientId: d.clientId,
        userId: d.userId,
        username: d.username,
        redirectUri: d.redirectUri,
        scope: d.scope,
        pkce: d.codeChallenge !== undefined,
        code: shortHash(d.codeHash),
        expiresAt: isoSeconds(d.expiresAt),
      };
    }
    case 'CodeRedeemed':
    case 'CodeReplayDetected':
      return { grantId: e.data.grantId, clientId: e.data.clientId, code: shortHash(e.data.codeHash) };
    case 'TokenIssued': {
      const d = e.data;
      return {
        grantId: d.grantId,
        grantType: d.grantType,
        clientId: d.clientId,
        userId: d.userId,
        username: d.username,
        scope: d.scope,
        accessToken: shortHash(d.accessTokenHash),
        accessExpiresAt: isoSeconds(d.accessExpiresAt),
        refreshToken: d.refreshTokenHash === null ? null : shortHash(d.refreshTokenHash),
        refreshExpiresAt: d.refreshExpiresAt === null ? null : isoSeconds(d.refreshExpiresAt),
        code: d.codeHash === undefined ? null : shortHash(d.codeHash),
      };
    }
    case 'TokenRefreshed': {
      // The recorded successor (d.successor) is deliberately left out.
      const d = e.data;
      return {
        grantId: d.grantId,
        grantType: 'refresh_token',
        clientId: d.clientId,
        userId: d.userId,
        username: d.username,
        scope: d.scope,
        previousRefreshToken: shortHash(d.previousRefreshTokenHash),
        accessToken: shortHash(d.accessTokenHash),
        accessExpiresAt: isoSeconds(d.accessExpiresAt),
        refreshToken: shortHash(d.refreshTokenHash),
        refreshExpiresAt: isoSeconds(d.refreshExpiresAt),
      };
    }
    case 'RefreshTokenReuseDetected':
      return {
        grantId: e.data.grantId,
        clientId: e.data.clientId,
        presentedRefreshToken: shortHash(e.data.presentedRefreshTokenHash),
      };
    case 'TokenRevoked':
      return {
        grantId: e.data.grantId,
        clientId: e.data.clientId,
        reason: e.data.reason,
        // Without a token hash the whole grant (every token of it) was revoked.
        target: e.data.tokenHash === undefined ? 'grant' : 'access_token',
        token: e.data.tokenHash === undefined ? null : shortHash(e.data.tokenHash),
      };
    case 'ConsentGranted':
      return { clientId: e.data.clientId, userId: e.data.userId, scope: e.data.scope };
    case 'ConsentRevoked':
      return { clientId: e.data.clientId, userId: e.data.userId };
  }
}

/** The grant an audited event belongs to; null for consent events. */
export function grantIdOf(e: AuditedEvent): string | null {
  return isGrantEvent(e) ? e.data.grantId : null;
}

/** A recorded event as an audit entry (parsed already, see auditedEvent). */
export function toAuditEntry(recorded: RecordedEvent, e: AuditedEvent): AuditEntry {
  const m = recorded.metadata;
  const actor: AuditEntry['actor'] = {};
  if (m.actor?.clientId !== undefined) actor.clientId = m.actor.clientId;
  if (m.actor?.userId !== undefined) actor.userId = m.actor.userId;
  return {
    time: m.occurredAt,
    event: e.type,
    stream: displayStream(recorded.streamId),
    actor,
    ...(m.requestId === undefined ? {} : { requestId: m.requestId }),
    ...(m.ip === undefined ? {} : { ip: m.ip }),
    ...(m.userAgent === undefined ? {} : { userAgent: m.userAgent }),
    details: detailsOf(e),
  };
}

/** A recorded event as an audit entry, or null when audits do not show it. */
export function auditEntry(recorded: RecordedEvent): AuditEntry | null {
  const e = auditedEvent(recorded);
  return e === null ? null : toAuditEntry(recorded, e);
}
