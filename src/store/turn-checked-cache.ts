import { type RecentMap, recentMap } from '../recent-map.js';

/**
 * Rows read recently, served again only while a check made for this turn of the event loop finds
 * that nothing they come from has changed. `current` gives a value that changes whenever the rows
 * may have (compared with `!==`): every lookup waits for a check made after its request arrived,
 * shared by all the lookups of that turn (it runs in the turn's check phase, after the poll phase
 * has read every request waiting on it). Absent rows (null) are not kept: guesses must not push
 * out the rows in use. A row whose load began before the rows were last dropped is not kept
 * either: it may be older than what dropped them.
 */
export class TurnCheckedCache<V extends object> {
  private readonly rows: RecentMap<string, Readonly<V>>;
  private version: unknown;
  /** Moved on each time the rows are dropped. */
  private epoch = 0;
  private check: Promise<void> | null = null;
  private readonly loading = new Map<string, Promise<Readonly<V> | null>>();

  constructor(
    private readonly current: () => unknown,
    capacity: number,
  ) {
    this.rows = recentMap(capacity);
  }

  /** Waits for this turn's check: afterwards, `kept` and `load` answer for it. */
  checked(): Promise<void> {
    return (this.check ??= new Promise((resolve) => setImmediate(() => void this.runCheck(resolve))));
  }

  /** The row kept for `key`, if any (call after `checked()`). */
  kept(key: string): Readonly<V> | undefined {
    return this.rows.get(key);
  }

  /**
   * The row `load` gives for `key`, kept unless it is null or the rows were dropped meanwhile.
   * Synchronous for a synchronous `load`; lookups of one key while it loads share that load.
   */
  load(key: string, load: () => V | null | Promise<V | null>): Readonly<V> | null | Promise<Readonly<V> | null> {
    const shared = this.loading.get(key);
    if (shared) return shared;
    const epoch = this.epoch;
    const row = load();
    if (!(row instanceof Promise)) return this.keep(key, row, epoch);
    const loading = row
      .then((loaded) => this.keep(key, loaded, epoch))
      .finally(() => {
        if (this.loading.get(key) === loading) this.loading.delete(key);
      });
    this.loading.set(key, loading);
    return loading;
  }

  /** The row for `key`: kept, or loaded (see above). */
  async get(key: string, load: () => V | null | Promise<V | null>): Promise<Readonly<V> | null> {
    await this.checked();
    return this.kept(key) ?? this.load(key, load);
  }

  private keep(key: string, row: V | null, epoch: number): Readonly<V> | null {
    if (row === null) return null;
    const frozen = Object.freeze(row);
    if (epoch === this.epoch) this.rows.set(key, frozen);
    return frozen;
  }

  /** Drops every row: what they come from changed (or may have). */
  drop(): void {
    this.rows.clear();
    this.loading.clear();
    this.epoch += 1;
  }

  private async runCheck(done: () => void): Promise<void> {
    this.check = null;
    try {
      const version = await this.current();
      if (version !== this.version) {
        this.drop();
        this.version = version;
      }
    } catch {
      // Not known whether anything changed: the lookups load, and the store says what is wrong.
      // They must not wait for ever.
      this.drop();
      this.version = undefined;
    } finally {
      done();
    }
  }
}
