import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { cachedReadStore } from './cached-read-store.js';
import { connectWithRetry } from './connect.js';
import { openEsdbEventStore } from './esdb/esdb-event-store.js';
import type { EventStore } from './event-store.js';
import { openMongoReadStore } from './mongo/mongo-read-store.js';
import type { ReadStore } from './read-store.js';
import { startCheckpointer } from './sqlite/checkpointer.js';
import { openDatabase } from './sqlite/database.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';
import { SqliteReadStore } from './sqlite/sqlite-read-store.js';

export interface Stores {
  events: EventStore;
  reads: ReadStore;
  /** Which adapter serves each port, for logs and /readyz. */
  kinds: { events: 'sqlite' | 'eventstoredb'; reads: 'sqlite' | 'mongodb' };
  close(): Promise<void>;
}

/** Picks each port's adapter from the configuration: a URL selects the server, none the embedded store. */
export async function openStores(
  config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_URL' | 'MONGODB_URL' | 'STORE_CONNECT_ATTEMPTS'>,
  log: Logger,
): Promise<Stores> {
  const closers: Array<() => Promise<void> | void> = [];
  try {
    let events: EventStore;
    if (config.EVENTSTORE_URL) {
      const url = config.EVENTSTORE_URL;
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
      const db = openDatabase(config.DATA_DIR);
      db.pragma('wal_autocheckpoint = 0');
      const checkpointer = startCheckpointer(db.name);
      events = new SqliteEventStore(db);
      closers.push(() => void db.close());
      closers.push(() => checkpointer.stop());
    }
    closers.push(() => events.close());

    let reads: ReadStore;
    if (config.MONGODB_URL) {
      const url = config.MONGODB_URL;
      reads = await connectWithRetry('MongoDB', url, () => openMongoReadStore(url), log, config.STORE_CONNECT_ATTEMPTS);
    } else {
      // The read models have their own connection: they can be rebuilt from the log, so their
      // commits skip the fsync the events need (a crash only rolls them back to a checkpoint).
      const db = openDatabase(config.DATA_DIR);
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 0');
      // 64 MiB of page cache: the token tables' random-key indexes stay in memory longer, which
      // is what a rebuild of a large read model (and a large live one) is bound by.
      db.pragma('cache_size = -65536');
      reads = new SqliteReadStore(db);
      closers.push(() => void db.close());
    }
    closers.push(() => reads.close());
    reads = cachedReadStore(reads);

    return {
      events,
      reads,
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
