import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import type { TokenView } from '../read-store.js';

/** Enough for the tokens in use at once on a busy server: ~4 MB at most. */
const CAPACITY = 10_000;

/**
 * Token rows read recently on one connection, served again while the table cannot have changed:
 * introspection and bearer checks ask for the same token over and over, and a lookup in SQLite's
 * B-tree costs several times a Map's. Exact, not timed:
 * - the store calls forget() on each of its own writes;
 * - `PRAGMA data_version` changes as soon as another connection (another worker, the CLI, a
 *   rebuild) has committed anything. It is read once per turn of the event loop, before the first
 *   lookup of the turn (a read transaction costs three system calls, about as much as the lookup
 *   it saves). A lookup then sees every commit made before its request was read from the socket,
 *   so a client that has its revocation's answer never gets the token back as active;
 * - a switch of the active generation (a rebuild) starts it afresh.
 * Unknown tokens are not kept: guesses must not push out the tokens in use.
 */
export class TokenCache {
  private rows = new Map<string, TokenView>();
  private version: number | undefined;
  private generation: number | undefined;
  private readonly dataVersion: Statement<[], number>;
  /** Whether data_version was read in this turn of the event loop. */
  private checked = false;
  private readonly nextTurn = () => {
    this.checked = false;
  };

  constructor(
    private readonly db: Db,
    private readonly capacity = CAPACITY,
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** The row of `hash` in `generation` of the tokens, from here or else from `load`. */
  get(hash: string, generation: number, load: () => TokenView | null): TokenView | null {
    // Inside a transaction of this connection (a rebuild's last catch-up) rows may not be
    // committed yet, and may never be.
    if (this.db.inTransaction) return load();
    if (!this.checked) {
      this.checked = true;
      setImmediate(this.nextTurn);
      const version = this.dataVersion.get();
      if (version !== this.version) this.rows.clear();
      this.version = version;
    }
    if (generation !== this.generation) {
      this.rows.clear();
      this.generation = generation;
    }
    const kept = this.rows.get(hash);
    if (kept) return kept;
    const row = load();
    if (row === null) return null;
    // The oldest first: a Map iterates in insertion order.
    if (this.rows.size >= this.capacity) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(hash, Object.freeze(row));
    return row;
  }

  /** This connection changed (or may have changed) the tokens. */
  forget(): void {
    this.rows.clear();
  }
}
