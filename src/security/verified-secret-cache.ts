import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type RecentMap, recentMap } from '../recent-map.js';

/**
 * Makes repeated client authentication cheap without storing secrets any weaker: secrets stay
 * scrypt-hashed at rest, and after a secret verified against a client's stored hash, this process
 * remembers for a short while a keyed SHA-256 of it, under a random key of its own. The next
 * request presenting the same secret is checked against that MAC (constant time) instead of
 * paying scrypt again. An entry counts only while the client's stored hash is the one it was
 * verified against, so a rotated secret drops it; a secret that does not match falls back to
 * scrypt (and fails there), so the cache never turns a wrong secret into a right one.
 */
export class VerifiedSecretCache {
  /** 256 random bits, as hex: hashed as text with what it keys. */
  private readonly key = randomBytes(32).toString('hex');
  private readonly entries: RecentMap<string, { mac: Buffer; secretHash: string; expiresAt: number }>;
  /** Verifications running now, by client, stored hash and MAC of the secret presented. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    maxEntries = 10_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.entries = recentMap(maxEntries);
  }

  /**
   * SHA-256(key ‖ client id ‖ NUL ‖ secret), one-shot: half the cost of an HMAC object per request.
   * The MAC never leaves this process, so length extension (HMAC's reason to exist) does not apply:
   * a caller can only ask whether a secret matches.
   */
  private mac(clientId: string, secret: string): Buffer {
    return hash('sha256', `${this.key}${clientId}\0${secret}`, 'buffer');
  }

  /** True when `secret` is the one last verified for this client against this very `secretHash`. */
  matches(clientId: string, secretHash: string, secret: string): boolean {
    const entry = this.entries.get(clientId);
    if (!entry) return false;
    if (entry.secretHash !== secretHash || entry.expiresAt <= this.clock()) {
      this.entries.delete(clientId);
      return false;
    }
    return timingSafeEqual(entry.mac, this.mac(clientId, secret));
  }

  /**
   * Whether `secret` is this client's: from the cache when it can, else by `slowVerify` (the KDF),
   * remembered when it holds. Requests that present the same secret while it is being verified
   * share that one verification: after a restart, a burst of connections from one client costs one
   * scrypt, not one each on a thread pool of four.
   */
  verify(clientId: string, secretHash: string, secret: string, slowVerify: () => Promise<boolean>): Promise<boolean> {
    if (this.matches(clientId, secretHash, secret)) return Promise.resolve(true);
    const key = `${clientId}\0${secretHash}\0${this.mac(clientId, secret).toString('hex')}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = slowVerify()
        .then((ok) => {
          if (ok) this.remember(clientId, secretHash, secret);
          return ok;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Call only after `secret` verified against `secretHash` with the slow KDF. */
  remember(clientId: string, secretHash: string, secret: string): void {
    this.entries.set(clientId, { mac: this.mac(clientId, secret), secretHash, expiresAt: this.clock() + this.ttlMs });
  }
}

/** The process's cache: every client authentication in this process shares it. */
export const verifiedSecrets = new VerifiedSecretCache();
