import type { Db } from 'mongodb';
import type { ProjectionName, ReadOp } from '../read-store.js';
import { generationCollection } from './collections.js';
import { type GuardMode, insertManyOnce, insertOnce, putIfNotNewer, updateIfNotNewer } from './guarded-write.js';

/**
 * Applies one read-model operation to one generation, guarded by `key`, the position key of the
 * event it came from. A document remembers the key of the last event that wrote it; an older
 * operation leaves it alone, and replaying one writes the same values again. Tokens and codes are
 * written once; revoked tokens and redeemed codes are deleted (the log keeps their history).
 * `mode`: where the guard is checked (see GuardMode).
 */
export async function applyOp(
  db: Db,
  projection: ProjectionName,
  generation: number,
  op: ReadOp,
  key: string,
  mode: GuardMode = 'server',
): Promise<void> {
  switch (op.op) {
    case 'putClient': {
      const { clientId, ...fields } = op.client;
      return putIfNotNewer(generationCollection(db, 'clients', generation), clientId, key, fields, mode);
    }
    case 'setClientSecret':
      return updateIfNotNewer(generationCollection(db, 'clients', generation), op.clientId, key, { secretHash: op.secretHash }, mode);
    case 'putUser': {
      const { userId, ...fields } = op.user;
      return putIfNotNewer(generationCollection(db, 'users', generation), userId, key, {
        ...fields,
        usernameKey: fields.username.toLowerCase(),
      }, mode);
    }
    case 'setUserPassword':
      return updateIfNotNewer(generationCollection(db, 'users', generation), op.userId, key, { passwordHash: op.passwordHash }, mode);
    case 'putScope': {
      const { name, ...fields } = op.scope;
      return putIfNotNewer(generationCollection(db, 'scopes', generation), name, key, fields, mode);
    }
    case 'putCode': {
      const { hash, ...fields } = op.code;
      return insertOnce(generationCollection(db, 'codes', generation), hash, key, fields);
    }
    case 'deleteCode':
      await generationCollection(db, 'codes', generation).deleteOne({ _id: op.hash });
      return;
    case 'putToken': {
      const { hash, ...fields } = op.token;
      return insertOnce(generationCollection(db, 'tokens', generation), hash, key, fields);
    }
    case 'rotateToken':
      return updateIfNotNewer(generationCollection(db, 'tokens', generation), op.hash, key, { status: 'rotated' }, mode);
    case 'deleteToken':
      await generationCollection(db, 'tokens', generation).deleteOne({ _id: op.hash });
      return;
    case 'revokeGrant':
      await generationCollection(db, 'tokens', generation).deleteMany({ grantId: op.grantId });
      return;
    default:
      throw new Error(`unknown operation for ${projection}`);
  }
}

/** An operation with the position key of the event it came from. */
export interface KeyedOp {
  op: ReadOp;
  key: string;
}

/**
 * Applies operations in order, as applyOp does one by one, except that a run of consecutive token
 * (or code) inserts goes in one insertMany: one round trip to the server for a batch of issued
 * tokens instead of one each. A run ends at any other operation, which may touch what it inserted.
 */
export async function applyOps(db: Db, projection: ProjectionName, generation: number, ops: readonly KeyedOp[], mode: GuardMode = 'server'): Promise<void> {
  for (let i = 0; i < ops.length; ) {
    const tokens = insertRun(ops, i, (op) => (op.op === 'putToken' ? op.token : null));
    const codes = insertRun(ops, i, (op) => (op.op === 'putCode' ? op.code : null));
    if (tokens.length > 1) await insertManyOnce(generationCollection(db, 'tokens', generation), tokens);
    else if (codes.length > 1) await insertManyOnce(generationCollection(db, 'codes', generation), codes);
    else await applyOp(db, projection, generation, ops[i]!.op, ops[i]!.key, mode);
    i += Math.max(tokens.length, codes.length, 1);
  }
}

/** The documents of the inserts `pick` finds from `from` on, up to the first operation it does not. */
function insertRun<V extends { hash: string }>(ops: readonly KeyedOp[], from: number, pick: (op: ReadOp) => V | null) {
  const run: Array<{ id: string; key: string; fields: Omit<V, 'hash'> }> = [];
  for (let j = from; j < ops.length; j++) {
    const view = pick(ops[j]!.op);
    if (view === null) break;
    const { hash, ...fields } = view;
    run.push({ id: hash, key: ops[j]!.key, fields });
  }
  return run;
}
