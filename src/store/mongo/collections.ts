import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { CheckpointDoc, ClientDoc, CodeDoc, ScopeDoc, TokenDoc, UserDoc } from './documents.js';

const NAMESPACE_EXISTS = 48;

/** One collection per read model, plus the projections' checkpoints. */
export interface Collections {
  clients: Collection<ClientDoc>;
  users: Collection<UserDoc>;
  scopes: Collection<ScopeDoc>;
  tokens: Collection<TokenDoc>;
  codes: Collection<CodeDoc>;
  checkpoints: Collection<CheckpointDoc>;
}

export function collections(db: Db): Collections {
  return {
    clients: db.collection<ClientDoc>('clients'),
    users: db.collection<UserDoc>('users'),
    scopes: db.collection<ScopeDoc>('scopes'),
    tokens: db.collection<TokenDoc>('tokens'),
    codes: db.collection<CodeDoc>('codes'),
    checkpoints: db.collection<CheckpointDoc>('checkpoints'),
  };
}

/**
 * Creates the collections that do not exist yet (so that an empty store shows its shape), then
 * the indexes the queries need beyond `_id` (the natural key: client id, user id, scope name,
 * token or code hash, projection name, each unique by construction). Idempotent.
 * No TTL index: expired tokens and codes are judged by `expiresAt` when read.
 */
export async function ensureSchema(db: Db, c: Collections): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name));
  for (const coll of Object.values(c)) {
    if (existing.has(coll.collectionName)) continue;
    try {
      await db.createCollection(coll.collectionName);
    } catch (error) {
      // Another process created it meanwhile.
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
    }
  }
  await c.users.createIndex({ usernameKey: 1 }, { name: 'usernameKey_unique', unique: true });
  await c.tokens.createIndex({ grantId: 1 }, { name: 'grantId' });
}
