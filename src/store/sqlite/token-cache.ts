import { CommitWatch } from './commit-watch.js';
import type { Db } from './database.js';
import type { TokenView } from '../read-store.js';
import { TurnCheckedCache } from '../turn-checked-cache.js';

/** Enough for the tokens in use at once on a busy server: ~4 MB at most. */
const CAPACITY = 10_000;

/**
 * Token rows read recently on one connection, served again while the table cannot have changed:
 * introspection and bearer checks ask for the same token over and over, and a lookup in SQLite's
 * B-tree costs several times a Map's. Exact, not timed: every lookup waits for a check, made after
 * its request arrived, of whether another connection (another worker, the CLI, a rebuild) has
 * committed anything since (CommitWatch), and the store calls forget() on each of its own writes,
 * so a revoked or rotated token is never served from here; a switch of the active generation (a
 * rebuild) starts it afresh. Unknown tokens are not kept: guesses must not push out the tokens in
 * use.
 */
export class TokenCache {
  private readonly rows: TurnCheckedCache<TokenView>;
  private generation: number | undefined;
  private readonly commits: CommitWatch;

  constructor(
    private readonly db: Db,
    capacity = CAPACITY,
  ) {
    this.commits = new CommitWatch(db);
    this.rows = new TurnCheckedCache(() => this.commits.current(), capacity);
  }

  /**
   * The row of `hash` in `generation` of the tokens, from here or else from `load`. The check for
   * other connections' commits is shared by every lookup of one turn of the event loop: it runs in
   * that turn's check phase (setImmediate), after the poll phase has read every request waiting
   * on it, so each request is answered from a check made after it arrived. A commit another
   * process answered for before such a request was sent is therefore seen; one made meanwhile is
   * concurrent with it, and either order is right. A check made in one turn is never reused in
   * the next.
   *
   * Waiting for the check phase has a second effect, larger than the check it saves: the turn's
   * introspections and bearer checks are answered together, one socket write after another,
   * instead of each between the reads of the next requests. The clients then read their answers,
   * and send their next requests, in bursts too: side by side, twice the introspections per
   * second for half the CPU per request (decision 0009).
   */
  async get(hash: string, generation: number, load: () => TokenView | null): Promise<TokenView | null> {
    // Inside a transaction of this connection (a rebuild's last catch-up) rows may not be
    // committed yet, and may never be.
    if (this.db.inTransaction) return load();
    await this.rows.checked();
    // Resumed in the check's own microtasks: no socket has been read since.
    if (generation !== this.generation) {
      this.rows.drop();
      this.generation = generation;
    }
    return this.rows.kept(hash) ?? this.rows.load(hash, load);
  }

  close(): void {
    this.commits.close();
  }

  /** This connection changed (or may have changed) the tokens. */
  forget(): void {
    this.rows.drop();
  }
}
