import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { cachedReadStore } from './cached-read-store.js';
import { connectWithRetry } from './connect.js';
import type { EventStore } from './event-store.js';
import type { ProjectionName, ReadStore } from './read-store.js';
import { startCheckpointer } from './sqlite/checkpointer.js';
import { type Db, openDatabase } from './sqlite/database.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';
import { SqliteReadStore } from './sqlite/sqlite-read-store.js';

export interface GroupCommitCounts {
  readonly commits: number;
  readonly syncs: number;
}

export interface Stores {
  events: EventStore;
  reads: ReadStore;
  /** Which adapter serves each port, for logs and /readyz. */
  kinds: { events: 'sqlite' | 'eventstoredb'; reads: 'sqlite' | 'mongodb' };
  /**
   * When both ports are embedded: the two adapters, on one connection, for inline projection,
   * and how to make the read cache forget what it changes.
   */
  embedded: { events: SqliteEventStore; reads: SqliteReadStore; forget(projection: ProjectionName): void } | null;
  /** The embedded event log's group commit counts, when the events are in SQLite (for /metrics). */
  groupCommit: GroupCommitCounts | null;
  close(): Promise<void>;
}

/** Picks each port's adapter from the configuration: a URL selects the server, none the embedded store. */
export async function openStores(
  config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_URL' | 'MONGODB_URL' | 'STORE_CONNECT_ATTEMPTS'>,
  log: Logger,
  /** Whether this process runs the embedded file's WAL checkpointer (one per server is enough). */
  { checkpointWal = true }: { checkpointWal?: boolean } = {},
): Promise<Stores> {
  const closers: Array<() => Promise<void> | void> = [];
  try {
    let events: EventStore;
    let sqliteEvents: SqliteEventStore | null = null;
    let sqliteReads: SqliteReadStore | null = null;
    // The embedded file, opened once: the read models share the events' connection when the
    // events are here too, so that they can be projected in the append transaction
    // (projections/inline.ts).
    let db: Db | null = null;
    const embedded = (): Db => {
      if (db) return db;
      const file = openDatabase(config.DATA_DIR);
      closers.push(() => void file.close());
      file.pragma('synchronous = NORMAL');
      // WAL checkpoints run in a worker thread, not inside a commit on the event loop.
      file.pragma('wal_autocheckpoint = 0');
      if (checkpointWal) {
        const checkpointer = startCheckpointer(file.name);
        closers.push(() => checkpointer.stop());
      }
      // A small page cache: 2,000 KiB, SQLite's upstream default (better-sqlite3 builds with
      // 16,000). A commit whose B-tree balance reordered pages ends by scanning the cache's whole
      // hash table (pcache1TruncateUnsafe); that is 76% of refresh commits, which insert their
      // index entries where the family began. With the 32 MiB this had before, the scan was 4.5%
      // of the server's CPU on refresh (perf); with 2,000 KiB it is 0.2%, and the misses it adds
      // barely show (pread 0.05%): the OS caches the file.
      file.pragma('cache_size = -2000');
      return (db = file);
    };
    if (config.EVENTSTORE_URL) {
      const url = config.EVENTSTORE_URL;
      // Loaded only when configured: the gRPC client is most of a process's start-up heap.
      const { openEsdbEventStore } = await import('./esdb/esdb-event-store.js');
      events = await connectWithRetry('EventStoreDB', url, async () => {
        const store = openEsdbEventStore(url);
        try {
          await store.headPosition();
          return store;
        } catch (error) {
          await store.close();
          throw error;
        }
      }, log, config.STORE_CONNECT_ATTEMPTS);
    } else {
      events = sqliteEvents = new SqliteEventStore(embedded());
    }
    closers.push(() => events.close());

    let reads: ReadStore;
    if (config.MONGODB_URL) {
      const url = config.MONGODB_URL;
      const { openMongoReadStore } = await import('./mongo/open-mongo-read-store.js');
      reads = await connectWithRetry('MongoDB', url, () => openMongoReadStore(url), log, config.STORE_CONNECT_ATTEMPTS);
    } else {
      reads = sqliteReads = new SqliteReadStore(embedded());
    }
    closers.push(() => reads.close());
    const cached = cachedReadStore(reads);

    return {
      events,
      reads: cached,
      embedded:
        sqliteEvents && sqliteReads ? { events: sqliteEvents, reads: sqliteReads, forget: cached.forget } : null,
      groupCommit: sqliteEvents,
      kinds: { events: config.EVENTSTORE_URL ? 'eventstoredb' : 'sqlite', reads: config.MONGODB_URL ? 'mongodb' : 'sqlite' },
      async close() {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close();
    throw error;
  }
}
