import type { RecordedEvent } from '../store/event-store.js';
import { type AuditedEvent, type AuditEntry, auditedEvent, toAuditEntry } from './entry.js';
import { inRange, type TimeRange } from './time.js';

/** Whose grants an audit follows. */
export type Party = { clientId: string } | { userId: string };

/**
 * Tells, event by event in log order, whether an event belongs to a grant of `party`. A grant is
 * the party's when the event that starts it (CodeIssued, or TokenIssued without a code) names the
 * party; every later event of that grant follows, even those that do not name the user
 * (CodeRedeemed, TokenRevoked, …). Starting events always precede the rest in the log.
 */
export function partyFilter(party: Party): (e: AuditedEvent) => boolean {
  const grants = new Set<string>();
  const names = (d: { clientId: string; userId?: string | null }) =>
    'clientId' in party ? d.clientId === party.clientId : d.userId === party.userId;
  return (e) => {
    switch (e.type) {
      case 'CodeIssued':
      case 'TokenIssued':
        if (names(e.data)) grants.add(e.data.grantId);
        return grants.has(e.data.grantId);
      case 'ConsentGranted':
      case 'ConsentRevoked':
        return names(e.data);
      default:
        return grants.has(e.data.grantId);
    }
  };
}

/**
 * Collects the audit entries of a party's grants (and its consent answers) from events fed in log
 * order, keeping those recorded within `range`. Grants are chosen from every event fed, so a
 * grant started before `since` still shows what happened to it within the range.
 */
export function partySelector(party: Party, range: TimeRange = {}) {
  const belongs = partyFilter(party);
  const entries: AuditEntry[] = [];
  return {
    add(recorded: RecordedEvent): void {
      const e = auditedEvent(recorded);
      if (e === null || !belongs(e)) return;
      if (inRange(Date.parse(recorded.metadata.occurredAt), range)) entries.push(toAuditEntry(recorded, e));
    },
    entries,
  };
}

/** The pure form of grantsOf: the entries of `party`'s grants among `events` (in log order). */
export function selectGrants(events: Iterable<RecordedEvent>, party: Party, range: TimeRange = {}): AuditEntry[] {
  const selector = partySelector(party, range);
  for (const r of events) selector.add(r);
  return selector.entries;
}
