import type { Config } from '../config.js';
import { type RecentMap, recentMap } from '../recent-map.js';

/**
 * Counts failed attempts per key (a username, an IP, a client id) in fixed windows: the first
 * failure opens a window of `windowMs`; once `max` failures fall in it, the key is blocked until
 * the window ends. Only failures are counted, so successful use never uses up a budget. In memory,
 * per process, at most `maxKeys` keys (the least recently used forgotten first). `max` 0 turns it off.
 */
export class FailureCounter {
  private readonly windows: RecentMap<string, { failures: number; endsAt: number }>;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
    maxKeys = 100_000,
  ) {
    // Bounded whatever a flood of distinct usernames brings, at the same cost per failure.
    this.windows = recentMap(maxKeys);
  }

  /** Seconds until `key` may try again, or null when it is not blocked. */
  blockedFor(key: string): number | null {
    if (this.max === 0) return null;
    const w = this.windows.get(key);
    const now = this.clock();
    if (!w || w.endsAt <= now) return null;
    return w.failures >= this.max ? Math.max(1, Math.ceil((w.endsAt - now) / 1000)) : null;
  }

  fail(key: string): void {
    if (this.max === 0) return;
    const now = this.clock();
    const w = this.windows.get(key);
    if (w && w.endsAt > now) {
      w.failures += 1;
      return;
    }
    this.open(key, 1, now + this.windowMs);
  }

  /** Starts `key`'s window afresh (the least recently used keys are forgotten if there are too many). */
  private open(key: string, failures: number, endsAt: number): void {
    this.windows.set(key, { failures, endsAt });
  }

  /** Forgets `key`'s failures (a user who finally signed in starts afresh). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  /** The windows still open: [key, failures, endsAt (ms since the epoch)]. */
  snapshot(): Array<[string, number, number]> {
    const now = this.clock();
    return [...this.windows].filter(([, w]) => w.endsAt > now).map(([key, w]) => [key, w.failures, w.endsAt]);
  }

  /** Takes in another counter's snapshot; where both count a key, the larger count stands. */
  restore(entries: Array<[string, number, number]>): void {
    const now = this.clock();
    for (const [key, failures, endsAt] of entries) {
      if (endsAt <= now) continue;
      const w = this.windows.get(key);
      if (w && w.endsAt > now) {
        w.failures = Math.max(w.failures, failures);
        w.endsAt = Math.max(w.endsAt, endsAt);
      } else {
        this.open(key, failures, endsAt);
      }
    }
  }
}

export type ThrottleConfig = Pick<
  Config,
  'THROTTLE_WINDOW' | 'THROTTLE_USER_FAILURES' | 'THROTTLE_IP_FAILURES' | 'THROTTLE_CLIENT_FAILURES'
>;

/** The counters of a server: failed sign-ins per user and per IP, failed client authentications. */
export type CounterName = 'users' | 'ips' | 'clients';
const COUNTER_NAMES: readonly CounterName[] = ['users', 'ips', 'clients'];

/** A change to one of them, as the HTTP workers tell it to each other through the supervisor. */
export interface FailureChange {
  counter: CounterName;
  op: 'fail' | 'reset';
  key: string;
}

/** Every counter's open windows (FailureCounter.snapshot). */
export type CountersSnapshot = Record<CounterName, Array<[string, number, number]>>;

/** The three counters of a server, kept by each HTTP worker and copied by the supervisor. */
export class FailureCounters {
  readonly users: FailureCounter;
  readonly ips: FailureCounter;
  readonly clients: FailureCounter;

  constructor(config: ThrottleConfig) {
    const windowMs = config.THROTTLE_WINDOW * 1000;
    this.users = new FailureCounter(config.THROTTLE_USER_FAILURES, windowMs);
    this.ips = new FailureCounter(config.THROTTLE_IP_FAILURES, windowMs);
    this.clients = new FailureCounter(config.THROTTLE_CLIENT_FAILURES, windowMs);
  }

  apply({ counter, op, key }: FailureChange): void {
    if (op === 'fail') this[counter].fail(key);
    else this[counter].reset(key);
  }

  snapshot(): CountersSnapshot {
    return { users: this.users.snapshot(), ips: this.ips.snapshot(), clients: this.clients.snapshot() };
  }

  restore(snapshot: CountersSnapshot): void {
    for (const name of COUNTER_NAMES) this[name].restore(snapshot[name]);
  }
}
