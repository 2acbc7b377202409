import { RecentMap } from '../../recent-map.js';
import { CommitWatch } from './commit-watch.js';
import type { Db } from './database.js';
import type { TokenView } from '../read-store.js';

/** Enough for the tokens in use at once on a busy server: ~4 MB at most. */
const CAPACITY = 10_000;

/**
 * Token rows read recently on one connection, served again while the table cannot have changed:
 * introspection and bearer checks ask for the same token over and over, and a lookup in SQLite's
 * B-tree costs several times a Map's. Exact, not timed: the CommitWatch changes as soon as another
 * connection (another worker, the CLI, a rebuild) has committed anything, and the store
 * calls forget() on each of its own writes, so a revoked or rotated token is never served from
 * here; a switch of the active generation (a rebuild) starts it afresh. Unknown tokens are not
 * kept: guesses must not push out the tokens in use.
 */
export class TokenCache {
  private readonly rows: RecentMap<string, TokenView>;
  private version: number | undefined;
  private generation: number | undefined;
  private readonly commits: CommitWatch;

  constructor(
    private readonly db: Db,
    capacity = CAPACITY,
  ) {
    this.rows = new RecentMap(capacity);
    this.commits = new CommitWatch(db);
  }

  /** The row of `hash` in `generation` of the tokens, from here or else from `load`. */
  get(hash: string, generation: number, load: () => TokenView | null): TokenView | null {
    // Inside a transaction of this connection (a rebuild's last catch-up) rows may not be
    // committed yet, and may never be.
    if (this.db.inTransaction) return load();
    const version = this.commits.current();
    if (version !== this.version || generation !== this.generation) {
      this.rows.clear();
      this.version = version;
      this.generation = generation;
    }
    const kept = this.rows.get(hash);
    if (kept) return kept;
    const row = load();
    if (row === null) return null;
    this.rows.set(hash, Object.freeze(row));
    return row;
  }

  close(): void {
    this.commits.close();
  }

  /** This connection changed (or may have changed) the tokens. */
  forget(): void {
    this.rows.clear();
  }
}
