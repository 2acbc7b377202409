import { comparePositions, type RecordedEvent } from '../store/event-store.js';
import { type AuditEntry, auditedEvent, grantIdOf, toAuditEntry } from './entry.js';

/**
 * The whole life of one grant, in log order: code issued, redeemed (or replayed), tokens issued,
 * each refresh, reuse detected, revocations. `events` may come from several streams (the grant's
 * and its code's) in any order; events of other grants are ignored.
 */
export function grantHistory(events: Iterable<RecordedEvent>, grantId: string): AuditEntry[] {
  const mine: RecordedEvent[] = [];
  for (const r of events) {
    const e = auditedEvent(r);
    if (e !== null && grantIdOf(e) === grantId) mine.push(r);
  }
  mine.sort((a, b) => comparePositions(a.position, b.position));
  return mine.map((r) => toAuditEntry(r, auditedEvent(r)!));
}
