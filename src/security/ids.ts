import { randomView } from './random-pool.js';

/**
 * A UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits. Ids made later
 * sort later, so the B-tree indexes keyed by them (event ids, grant streams) grow at their right
 * edge instead of touching a random page per insert: fewer pages written per commit, and a
 * working set that stays in cache as the log grows.
 */
export function timeOrderedId(now = Date.now()): string {
  const b = Buffer.from(randomView(16));
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
