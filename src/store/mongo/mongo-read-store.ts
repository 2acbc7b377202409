import { MongoClient } from 'mongodb';
import { formatPosition, parsePosition, type Position } from '../event-store.js';
import type { ClientView, CodeView, ReadOp, ReadStore, ScopeView, TokenView, UserView } from '../read-store.js';
import { applyOp } from './apply-ops.js';
import { collections, ensureSchema, type Collections } from './collections.js';
import { DEFAULT_DB_NAME, databaseFromUrl } from './database-name.js';
import { clientFromDoc, codeFromDoc, scopeFromDoc, tokenFromDoc, userFromDoc } from './documents.js';
import { putIfNotNewer } from './guarded-write.js';
import { positionKey } from './position-key.js';

/**
 * Read models in MongoDB (or a compatible server such as FerretDB: no multi-document
 * transactions, no TTL index, no renames). A commit is not atomic: it applies the operations in
 * order, then moves the checkpoint. A crash in between replays the batch, which the position
 * guards make harmless (see apply-ops.ts). The checkpoint itself never moves backwards.
 */
export class MongoReadStore implements ReadStore {
  constructor(
    private readonly client: MongoClient,
    private readonly c: Collections,
  ) {}

  async getClient(clientId: string): Promise<ClientView | null> {
    const doc = await this.c.clients.findOne({ _id: clientId });
    return doc ? clientFromDoc(doc) : null;
  }

  async getUserByUsername(username: string): Promise<UserView | null> {
    const doc = await this.c.users.findOne({ usernameKey: username.toLowerCase() });
    return doc ? userFromDoc(doc) : null;
  }

  async listScopes(): Promise<ScopeView[]> {
    const docs = await this.c.scopes.find({}).sort({ _id: 1 }).toArray();
    return docs.map(scopeFromDoc);
  }

  async getToken(hash: string): Promise<TokenView | null> {
    const doc = await this.c.tokens.findOne({ _id: hash });
    return doc ? tokenFromDoc(doc) : null;
  }

  async getCode(hash: string): Promise<CodeView | null> {
    const doc = await this.c.codes.findOne({ _id: hash });
    return doc ? codeFromDoc(doc) : null;
  }

  async getCheckpoint(projection: string): Promise<Position | null> {
    const doc = await this.c.checkpoints.findOne({ _id: projection });
    return doc ? parsePosition(doc.position) : null;
  }

  async commit(projection: string, ops: ReadOp[], checkpoint: Position): Promise<void> {
    const key = positionKey(checkpoint);
    for (const op of ops) await applyOp(this.c, op, key);
    await putIfNotNewer(this.c.checkpoints, projection, key, { position: formatPosition(checkpoint) });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export interface MongoReadStoreOptions {
  /** Overrides the database named in the URL path (default `oauth2`). */
  dbName?: string;
  /** How long one connection attempt may wait for a server (default 5 s). */
  serverSelectionTimeoutMS?: number;
}

/** Connects, makes sure the collections and indexes exist, and returns the read store. */
export async function openMongoReadStore(url: string, opts: MongoReadStoreOptions = {}): Promise<ReadStore> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5000 });
  try {
    await client.connect();
    const db = client.db(opts.dbName ?? databaseFromUrl(url) ?? DEFAULT_DB_NAME);
    const c = collections(db);
    await ensureSchema(db, c);
    return new MongoReadStore(client, c);
  } catch (error) {
    await client.close();
    throw error;
  }
}
