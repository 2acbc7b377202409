import { type Db, MongoClient } from 'mongodb';
import { PROJECTION_NAMES, type ReadStore } from '../read-store.js';
import { ensureGeneration, ensureGenerationsCollection, generationsCollection } from './collections.js';
import { DEFAULT_DB_NAME, databaseFromUrl } from './database-name.js';
import { type GuardMode, isDuplicateKey } from './guarded-write.js';
import { MongoReadStore } from './mongo-read-store.js';

export interface MongoReadStoreOptions {
  /** Overrides the database named in the URL path (default `oauth2`). */
  dbName?: string;
  /** How long one connection attempt may wait for a server (default 5 s). */
  serverSelectionTimeoutMS?: number;
  /** Where the position guards are checked (default: on the client on FerretDB, else on the server). */
  guards?: GuardMode;
}

/** FerretDB says so in buildInfo; its guarded updates scan, so the client checks them there. */
async function defaultGuards(db: Db): Promise<GuardMode> {
  const info = await db.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? 'client' : 'server';
}

/** Connects, makes sure every read model has an active generation, with its indexes, and returns the read store. */
export async function openMongoReadStore(url: string, opts: MongoReadStoreOptions = {}): Promise<ReadStore> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5000 });
  try {
    await client.connect();
    const db = client.db(opts.dbName ?? databaseFromUrl(url) ?? DEFAULT_DB_NAME);
    await ensureGenerationsCollection(db);
    for (const projection of PROJECTION_NAMES) {
      const doc = await generationsCollection(db).findOne({ _id: projection });
      // For an existing one too: it gets the indexes added since it was made.
      await ensureGeneration(db, projection, doc ? doc.active : 1);
      if (doc) continue;
      // insertOne, not an upsert with $setOnInsert, which FerretDB 1.x applies only in part.
      await generationsCollection(db)
        .insertOne({ _id: projection, active: 1, building: [], retiring: [] })
        .catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
        });
    }
    return new MongoReadStore(client, db, opts.guards ?? (await defaultGuards(db)));
  } catch (error) {
    await client.close();
    throw error;
  }
}
