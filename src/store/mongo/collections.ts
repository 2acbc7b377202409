import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { ProjectionName } from '../read-store.js';
import type { CheckpointDoc, ClientDoc, CodeDoc, GenerationsDoc, ScopeDoc, TokenDoc, UserDoc } from './documents.js';

const NAMESPACE_EXISTS = 48;

export interface DocOf {
  clients: ClientDoc;
  users: UserDoc;
  scopes: ScopeDoc;
  codes: CodeDoc;
  tokens: TokenDoc;
}

/** One collection per generation of each read model: `<projection>_g<N>`. */
export function collectionName(projection: ProjectionName, generation: number): string {
  return `${projection}_g${generation}`;
}

export function generationCollection<P extends ProjectionName>(db: Db, projection: P, generation: number): Collection<DocOf[P]> {
  return db.collection<DocOf[P]>(collectionName(projection, generation));
}

export function generationsCollection(db: Db): Collection<GenerationsDoc> {
  return db.collection<GenerationsDoc>('generations');
}

export function checkpointsCollection(db: Db): Collection<CheckpointDoc> {
  return db.collection<CheckpointDoc>('checkpoints');
}

async function createIfMissing(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    // Another process created it meanwhile.
    if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
  }
}

/**
 * Creates a generation's collection and the indexes its queries need beyond `_id` (the natural
 * key: client id, user id, scope name, token or code hash). Idempotent: a generation made before
 * an index was added gets it at the next start. No TTL index: expiry is checked on read, and the
 * projector prunes expired rows.
 */
export async function ensureGeneration(db: Db, projection: ProjectionName, generation: number): Promise<void> {
  const name = collectionName(projection, generation);
  await createIfMissing(db, name);
  if (projection === 'users') await db.collection(name).createIndex({ usernameKey: 1 }, { name: 'usernameKey_unique', unique: true });
  if (projection === 'tokens') await db.collection(name).createIndex({ grantId: 1 }, { name: 'grantId' });
  // The pruner's deleteMany({ expiresAt: { $lte: now } }), every minute: without it, a scan of
  // every live token.
  if (projection === 'tokens' || projection === 'codes') {
    await db.collection(name).createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
  }
}

export async function ensureGenerationsCollection(db: Db): Promise<void> {
  await createIfMissing(db, 'generations');
  await createIfMissing(db, 'checkpoints');
}
