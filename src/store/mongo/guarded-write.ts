import {
  MongoBulkWriteError,
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

/**
 * Where a write's guard is checked. 'server': in the write's filter, `{ _id, pos: { $lte: key } }`,
 * atomic on MongoDB. 'client': read the document's `pos` by `_id`, then write by `_id`. FerretDB
 * 1.x runs an update as a query and then a write with nothing held between them, and pushes a
 * query down to SQLite only when its filter is `_id` alone: there the server-side guard was no
 * more atomic than a client-side one, and scanned the whole collection each time (decision 0003).
 */
export type GuardMode = 'server' | 'client';

/** The stored position key of document `id`, or null if there is none. */
async function storedKey<T extends Guarded>(coll: Collection<T>, id: string): Promise<string | null> {
  const stored = await coll.findOne(byId<T>(id), { projection: { pos: 1 } });
  return stored === null ? null : stored.pos;
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
  mode: GuardMode = 'server',
): Promise<void> {
  const set = { ...fields, pos: key } as MatchKeysAndValues<T>;
  if (mode === 'client') {
    const stored = await storedKey(coll, id);
    if (stored !== null && stored > key) return;
  }
  try {
    await coll.updateOne(mode === 'client' ? byId<T>(id) : guard<T>(id, key), { $set: set }, { upsert: true });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const stored = await storedKey(coll, id);
    if (stored === null || stored <= key) throw error;
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
    if (!(await exists(coll, id))) throw error;
  }
}

/** Whether document `id` is there: a duplicate-key failure means "already written" only then. */
async function exists<T extends Guarded>(coll: Collection<T>, id: string): Promise<boolean> {
  return (await coll.findOne(byId<T>(id), { projection: { _id: 1 } })) !== null;
}

/**
 * insertOnce for several documents in one round trip: an unordered insertMany, which writes every
 * document it can, and whose duplicate-key failures are each checked as insertOnce checks one.
 */
export async function insertManyOnce<T extends Guarded>(
  coll: Collection<T>,
  docs: ReadonlyArray<{ id: string; key: string; fields: Omit<T, '_id' | 'pos'> }>,
): Promise<void> {
  // The driver refuses an empty insertMany; none is nothing to do, as for the other bulk writes.
  if (docs.length === 0) return;
  if (docs.length === 1) return insertOnce(coll, docs[0]!.id, docs[0]!.key, docs[0]!.fields);
  const rows = docs.map(({ id, key, fields }) => ({ ...fields, _id: id, pos: key }) as OptionalUnlessRequiredId<T>);
  try {
    await coll.insertMany(rows, { ordered: false });
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const failures = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (failures.length === 0) throw error;
    for (const failure of failures) {
      const doc = docs[failure.index];
      if (failure.code !== 11000 || doc === undefined) throw error;
      if (!(await exists(coll, doc.id))) throw error;
    }
  }
}

/** Updates fields of an existing document unless a newer batch wrote it; a missing one stays missing. */
export function updateIfNotNewer<T extends Guarded>(
  coll: Collection<T>,
  id: string,
  key: string,
  fields: Partial<Omit<T, '_id' | 'pos'>>,
  mode: GuardMode = 'server',
): Promise<void> {
  return updateManyIfNotNewer(coll, [{ id, key, fields }], mode);
}

/**
 * updateIfNotNewer for several documents (distinct `_id`s), in one bulkWrite. On the client the
 * stored keys are read first, side by side, each by `_id` alone (see GuardMode).
 */
export async function updateManyIfNotNewer<T extends Guarded>(
  coll: Collection<T>,
  updates: ReadonlyArray<{ id: string; key: string; fields: Partial<Omit<T, '_id' | 'pos'>> }>,
  mode: GuardMode = 'server',
): Promise<void> {
  let due = updates;
  if (mode === 'client') {
    const stored = await Promise.all(updates.map((u) => storedKey(coll, u.id)));
    due = updates.filter((u, i) => stored[i] !== null && stored[i]! <= u.key);
  }
  if (due.length === 0) return;
  await coll.bulkWrite(
    due.map(({ id, key, fields }) => ({
      updateOne: { filter: mode === 'client' ? byId<T>(id) : guard<T>(id, key), update: { $set: { ...fields, pos: key } as MatchKeysAndValues<T> } },
    })),
    { ordered: false },
  );
}

/** Deletes documents by `_id`, in one bulkWrite (each by `_id` alone, which FerretDB looks up by index). */
export async function deleteManyById<T extends Guarded>(coll: Collection<T>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await coll.bulkWrite(ids.map((id) => ({ deleteOne: { filter: byId<T>(id) } })), { ordered: false });
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
