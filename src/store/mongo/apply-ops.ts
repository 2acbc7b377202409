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
    const kind = ops[i]!.op.op;
    let end = i + 1;
    if (kind === 'putToken' || kind === 'putCode') while (end < ops.length && ops[end]!.op.op === kind) end++;
    if (end - i === 1) {
      await applyOp(db, projection, generation, ops[i]!.op, ops[i]!.key, mode);
    } else if (kind === 'putToken') {
      const run = ops.slice(i, end).map(({ op, key }) => {
        const { hash, ...fields } = (op as Extract<ReadOp, { op: 'putToken' }>).token;
        return { id: hash, key, fields };
      });
      await insertManyOnce(generationCollection(db, 'tokens', generation), run);
    } else {
      const run = ops.slice(i, end).map(({ op, key }) => {
        const { hash, ...fields } = (op as Extract<ReadOp, { op: 'putCode' }>).code;
        return { id: hash, key, fields };
      });
      await insertManyOnce(generationCollection(db, 'codes', generation), run);
    }
    i = end;
  }
}
