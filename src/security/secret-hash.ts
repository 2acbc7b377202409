import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import pLimit from 'p-limit';

const scryptOnPool = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * scrypt runs on libuv's thread pool, which also syncs the event log to disk (fdatasync). Given
 * every thread, a burst of password grants or sign-ins (130 ms each) queued every durable append
 * behind it: client_credentials answered in 1.5 s during 32 concurrent password grants. One
 * thread is always left for the rest; further hashes wait here.
 */
const POOL_THREADS = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const limit = pLimit(Math.max(1, POOL_THREADS - 1));
const scryptAsync: typeof scryptOnPool = (...args) => limit(() => scryptOnPool(...args));

/** scrypt cost N=2^15, r=8, p=1: 32 MiB and about 130 ms a hash here. Kept in each hash, so it can rise later. */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 128 * N * R * 2;

/** Secrets and passwords are stored only as `scrypt$N$r$p$salt$hash`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    ...cost,
    maxmem: 128 * cost.N * cost.r * 2,
  });
  return timingSafeEqual(key, expected);
}

/** A hash of a random secret, verified when a user is unknown so that both paths cost the same. */
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomBytes(16).toString('hex'));
  return decoy;
}
