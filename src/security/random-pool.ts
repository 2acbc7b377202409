import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * `n` bytes from the CSPRNG, drawn from a pool filled 8 KiB at a time: one call into OpenSSL
 * serves a few hundred tokens (as Node does for randomUUID). Each byte is handed out once; the
 * view is valid until the next call, so callers encode it at once.
 */
export function randomView(n: number): Buffer {
  if (n > POOL_SIZE) throw new RangeError(`at most ${POOL_SIZE} bytes`);
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const view = pool.subarray(offset, offset + n);
  offset += n;
  return view;
}
