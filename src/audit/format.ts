import type { AuditEntry } from './entry.js';
import type { LiveToken } from './live.js';

/** Human-readable audit output: one line per event, `time  event  actor  details`. */

const EVENT_WIDTH = 'RefreshTokenReuseDetected'.length;

const quote = (v: string) => (v === '' || /[\s"]/.test(v) ? JSON.stringify(v) : v);

/** Usernames by user id, from the events that carry both, so that lines name people, not UUIDs. */
function usernames(entries: readonly AuditEntry[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const { details } of entries) {
    if (typeof details.userId === 'string' && typeof details.username === 'string') names.set(details.userId, details.username);
  }
  return names;
}

function actorText(actor: AuditEntry['actor'], names: Map<string, string>): string {
  const parts: string[] = [];
  if (actor.clientId !== undefined) parts.push(`client=${quote(actor.clientId)}`);
  if (actor.userId !== undefined) parts.push(`user=${quote(names.get(actor.userId) ?? actor.userId)}`);
  return parts.length > 0 ? parts.join(' ') : 'operator';
}

/** Details the actor column already shows: the same client, the same user (by id or by name). */
function repeatsActor(key: string, value: unknown, entry: AuditEntry): boolean {
  const { actor, details } = entry;
  if (key === 'clientId') return value === actor.clientId;
  if (key === 'userId') return value === actor.userId;
  if (key === 'username') return actor.userId !== undefined && details.userId === actor.userId;
  return false;
}

/**
 * One line per entry. `omit` leaves out details every line would repeat (the grant id of a
 * single grant's history), and details that repeat the actor column are left out too.
 */
export function formatEntries(entries: readonly AuditEntry[], omit: readonly string[] = []): string[] {
  const names = usernames(entries);
  return entries.map((entry) => {
    const details = Object.entries(entry.details)
      .filter(([k, v]) => v !== null && !omit.includes(k) && !repeatsActor(k, v, entry))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? quote(k === 'userId' ? (names.get(v) ?? v) : v) : String(v)}`);
    if (entry.ip !== undefined) details.push(`ip=${entry.ip}`);
    return [entry.time, entry.event.padEnd(EVENT_WIDTH), actorText(entry.actor, names), details.join(' ')].join('  ');
  });
}

/** One line per live token. */
export function formatLiveTokens(tokens: readonly LiveToken[]): string[] {
  return tokens.map((t) =>
    [
      t.kind.padEnd(7),
      t.token,
      `grant=${t.grantId}`,
      `client=${quote(t.clientId)}`,
      ...(t.username !== null ? [`user=${quote(t.username)}`] : t.userId !== null ? [`user=${t.userId}`] : []),
      `scope=${quote(t.scope)}`,
      `issuedAt=${t.issuedAt}`,
      `expiresAt=${t.expiresAt}`,
    ].join('  '),
  );
}
