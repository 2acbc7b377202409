import {
  MongoServerError,
  type Collection,
  type Filter,
  type MatchKeysAndValues,
  type OptionalUnlessRequiredId,
} from 'mongodb';

/** Documents whose writes are guarded by the position key of the batch that wrote them. */
interface Guarded {
  _id: string;
  pos: string;
}

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Writes a whole document unless the stored one was written by a newer batch. The upsert's
 * filter misses a newer document, so the insert it attempts collides on `_id`: that collision
 * means "skip". Any other collision (another unique index) is a real conflict and is thrown.
 * Servers need not say which index collided (FerretDB does not), hence the look-up.
 */
export async function putIfNotNewer<T extends Guarded>(
  coll: Collection<T>,
  id: string,
  key: string,
  fields: Omit<T, '_id' | 'pos'>,
): Promise<void> {
  const set = { ...fields, pos: key } as MatchKeysAndValues<T>;
  try {
    await coll.updateOne(guard<T>(id, key), { $set: set }, { upsert: true });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const stored = await coll.findOne(byId<T>(id), { projection: { pos: 1 } });
    if (stored === null || stored.pos <= key) throw error;
  }
}

/**
 * Writes a document once; a second put of the same `_id` leaves the first (and whatever later
 * batches did to it) alone. An insert, not an upsert with $setOnInsert: FerretDB 1.x drops the
 * null-valued fields of a $setOnInsert.
 */
export async function insertOnce<T extends Guarded>(
  coll: Collection<T>,
  id: string,
  key: string,
  fields: Omit<T, '_id' | 'pos'>,
): Promise<void> {
  const doc = { ...fields, _id: id, pos: key } as OptionalUnlessRequiredId<T>;
  try {
    await coll.insertOne(doc);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    if ((await coll.findOne(byId<T>(id), { projection: { _id: 1 } })) === null) throw error;
  }
}

/** Updates fields of an existing document unless a newer batch wrote it; a missing one stays missing. */
export async function updateIfNotNewer<T extends Guarded>(
  coll: Collection<T>,
  id: string,
  key: string,
  fields: Partial<Omit<T, '_id' | 'pos'>>,
): Promise<void> {
  const set = { ...fields, pos: key } as MatchKeysAndValues<T>;
  await coll.updateOne(guard<T>(id, key), { $set: set });
}

// The driver's Filter<T>, MatchKeysAndValues<T> and OptionalUnlessRequiredId<T> cannot be resolved
// for an unresolved T (here, any with string `_id` and `pos`): this file alone asserts its filters
// and documents to them.
function byId<T extends Guarded>(id: string): Filter<T> {
  return { _id: id } as Filter<T>;
}

function guard<T extends Guarded>(id: string, key: string): Filter<T> {
  return { _id: id, pos: { $lte: key } } as Filter<T>;
}
