/** Times given to the audit: ISO 8601, as milliseconds since the epoch. */

export class AuditInputError extends Error {
  override name = 'AuditInputError';
}

/** A closed interval of milliseconds; a missing end is open. */
export interface TimeRange {
  since?: number;
  until?: number;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses `2025-03-01`, `2025-03-01T12:00Z`, `2025-03-01T12:00:00.123+01:00`, …; a time without an
 * offset is UTC (an audit must not depend on the machine's time zone). Throws AuditInputError
 * naming `what` for anything else, including dates that do not exist (2025-02-30).
 */
export function parseAuditTime(input: string, what = 'time'): number {
  const m = ISO_8601.exec(input.trim());
  const bad = () => new AuditInputError(`${what}: "${input}" is not an ISO 8601 time (e.g. 2025-03-01T12:00:00Z)`);
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, offset] = m;
  const text = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : ''}${normalizeOffset(offset)}`;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw bad();
  // Date.parse rolls 2025-02-30 over into March: check the calendar date in its own offset.
  const check = new Date(ms + offsetMinutes(offset) * 60_000);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() + 1 !== Number(mo) || check.getUTCDate() !== Number(d)) {
    throw bad();
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw bad();
  return ms;
}

function normalizeOffset(offset: string | undefined): string {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 'Z';
  const digits = offset.slice(1).replace(':', '');
  return `${offset[0]}${digits.slice(0, 2)}:${digits.slice(2)}`;
}

function offsetMinutes(offset: string | undefined): number {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return offset[0] === '-' ? -minutes : minutes;
}

/** Parses optional since/until; rejects a range that ends before it starts. */
export function parseRange(since: string | undefined, until: string | undefined): TimeRange {
  const range: TimeRange = {};
  if (since !== undefined) range.since = parseAuditTime(since, 'since');
  if (until !== undefined) range.until = parseAuditTime(until, 'until');
  if (range.since !== undefined && range.until !== undefined && range.since > range.until) {
    throw new AuditInputError('since is after until');
  }
  return range;
}

export function inRange(timeMs: number, range: TimeRange): boolean {
  return (range.since === undefined || timeMs >= range.since) && (range.until === undefined || timeMs <= range.until);
}
