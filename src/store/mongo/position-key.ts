import type { Position } from '../event-store.js';

/**
 * A position as a string that sorts like the position itself, so that the server can guard a write
 * with `{ pos: { $lte: key } }`: both parts zero-padded to the 20 digits of the largest u64.
 */
const DIGITS = 20;
const MAX = (1n << 64n) - 1n;

function part(n: bigint): string {
  if (n < 0n || n > MAX) throw new RangeError(`position part out of range: ${n}`);
  return n.toString().padStart(DIGITS, '0');
}

export function positionKey(p: Position): string {
  return `${part(p.commit)}/${part(p.prepare)}`;
}
