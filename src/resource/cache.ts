import { type RecentMap, recentMap } from '../recent-map.js';
import { sha256Hex } from '../security/tokens.js';

export interface TokenCacheOptions {
  /** Seconds an answer may be reused; 0 turns the cache off. */
  ttlSeconds: number;
  /** At most this many entries; the least recently used are dropped to make room. */
  maxEntries: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/**
 * A short cache of positive answers, keyed by the SHA-256 of the token (the token itself is never
 * kept). An entry lives for the configured TTL, and never past the token's own `exp`.
 */
export class TokenCache<V extends { exp: number }> {
  readonly #entries: RecentMap<string, { value: V; until: number }>;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor({ ttlSeconds, maxEntries, now = Date.now }: TokenCacheOptions) {
    if (!(ttlSeconds >= 0)) throw new RangeError('ttlSeconds must be 0 or more');
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError('maxEntries must be a positive integer');
    this.#ttlMs = ttlSeconds * 1000;
    this.#entries = recentMap(maxEntries);
    this.#now = now;
  }

  /** The entries held (counted one by one: for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const _ of this.#entries.keys()) n += 1;
    return n;
  }

  get(token: string): V | undefined {
    const key = sha256Hex(token);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#now() >= entry.until) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps a positive answer until min(now + TTL, exp); one already past either is not kept. */
  put(token: string, value: V): void {
    const now = this.#now();
    const until = Math.min(now + this.#ttlMs, value.exp * 1000);
    if (until <= now) return;
    this.#entries.set(sha256Hex(token), { value, until });
  }

  clear(): void {
    this.#entries.clear();
  }
}
