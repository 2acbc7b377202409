import { codeStream } from '../domain/authorization-code.js';
import { parseEvent } from '../domain/events.js';
import { grantStream } from '../domain/grant.js';
import { usernameStream } from '../domain/user.js';
import type { EventStore, Position, RecordedEvent } from '../store/event-store.js';
import { tokenDigest } from '../security/tokens.js';
import type { AuditEntry } from './entry.js';
import { grantHistory } from './history.js';
import { liveTracker, type LiveToken } from './live.js';
import { type Party, partyFilter, partySelector } from './select.js';
import type { TimeRange } from './time.js';

/**
 * The audit's reads: the event log only, never the read models. The log is the record; the read
 * models may be pruned, rebuilt or behind.
 */

const PAGE = 1000;

/** Every event of the log, in log order, read in pages. */
export async function* scanLog(events: EventStore): AsyncGenerator<RecordedEvent> {
  let from: Position | null = null;
  for (;;) {
    const page = await events.readAll(from, PAGE);
    for (const r of page) yield r;
    const last = page.at(-1);
    if (!last) return;
    from = last.position;
  }
}

/**
 * The history of one grant, or null when the log knows no such grant. The grant's stream holds
 * its tokens; the code that started it, if any, has its own stream. A code that was issued and
 * never redeemed leaves no grant stream: then the log is scanned for it.
 */
export async function loadGrantHistory(events: EventStore, grantId: string): Promise<AuditEntry[] | null> {
  const recorded = await events.readStream(grantStream(grantId));
  const first = recorded[0] ? parseEvent(recorded[0].type, recorded[0].data) : null;
  if (first?.type === 'TokenIssued' && first.data.codeHash !== undefined) {
    recorded.push(...(await events.readStream(codeStream(first.data.codeHash))));
  }
  if (recorded.length === 0) {
    for await (const r of scanLog(events)) {
      if (r.type !== 'CodeIssued') continue;
      const e = parseEvent(r.type, r.data);
      if (e?.type === 'CodeIssued' && e.data.grantId === grantId) {
        recorded.push(...(await events.readStream(r.streamId)));
        break;
      }
    }
  }
  const history = grantHistory(recorded, grantId);
  return history.length === 0 ? null : history;
}

/** Grant ids are UUIDs; tokens and codes (43 or 44 base64url characters) never look like one. */
const GRANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The grant a token belongs to, from the token itself or a grant id; null when neither is known.
 * A token is looked up by its digest only (the value itself goes nowhere, not even into a stream
 * name): an authorization code by its stream, an access or refresh token (current or rotated
 * away) by scanning TokenIssued and TokenRefreshed.
 */
export async function findGrantId(events: EventStore, tokenOrGrantId: string): Promise<string | null> {
  if (GRANT_ID.test(tokenOrGrantId)) {
    if ((await events.readStream(grantStream(tokenOrGrantId))).length > 0) return tokenOrGrantId;
    // A grant whose code was never redeemed has no grant stream, only its CodeIssued.
    return (await loadGrantHistory(events, tokenOrGrantId)) === null ? null : tokenOrGrantId;
  }
  const hash = tokenDigest(tokenOrGrantId);
  for (const r of await events.readStream(codeStream(hash))) {
    const e = parseEvent(r.type, r.data);
    if (e?.type === 'CodeIssued') return e.data.grantId;
  }
  for await (const r of scanLog(events)) {
    if (r.type !== 'TokenIssued' && r.type !== 'TokenRefreshed') continue;
    const e = parseEvent(r.type, r.data);
    if (e?.type === 'TokenIssued' && (e.data.accessTokenHash === hash || e.data.refreshTokenHash === hash)) {
      return e.data.grantId;
    }
    if (
      e?.type === 'TokenRefreshed' &&
      [e.data.accessTokenHash, e.data.refreshTokenHash, e.data.previousRefreshTokenHash].includes(hash)
    ) {
      return e.data.grantId;
    }
  }
  return null;
}

/** Every event of the grants a client or user was part of (and its consent answers), in log order. */
export async function grantsOf(events: EventStore, party: Party, range: TimeRange = {}): Promise<AuditEntry[]> {
  const selector = partySelector(party, range);
  for await (const r of scanLog(events)) selector.add(r);
  return selector.entries;
}

/** The tokens of a client's or user's grants that were live at `at` (ms), rebuilt from the log. */
export async function liveTokensOf(events: EventStore, party: Party, at: number): Promise<LiveToken[]> {
  const tracker = liveTracker(at, partyFilter(party));
  for await (const r of scanLog(events)) tracker.add(r);
  return tracker.result();
}

export async function clientKnown(events: EventStore, clientId: string): Promise<boolean> {
  return (await events.readStream(`client-${clientId}`)).length > 0;
}

/** A user's id from the claim on `username-<lowercased>`; null for an unknown name. */
export async function userIdOf(events: EventStore, username: string): Promise<string | null> {
  for (const r of await events.readStream(usernameStream(username))) {
    const e = parseEvent(r.type, r.data);
    if (e?.type === 'UsernameClaimed') return e.data.userId;
  }
  return null;
}
