import type { Db } from 'mongodb';
import type { CodeView, ProjectionName, ReadOp } from '../read-store.js';
import { generationCollection } from './collections.js';
import { type TokenDoc, tokenDocument } from './documents.js';
import {
  deleteManyById,
  type GuardMode,
  insertManyOnce,
  insertOnce,
  putIfNotNewer,
  updateIfNotNewer,
} from './guarded-write.js';

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
      const { hash, fields } = tokenDocument(op.token);
      return insertOnce(generationCollection(db, 'tokens', generation), hash, key, fields);
    }
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
 * Applies operations as applyOp does one by one, in order, except that token and code operations
 * on different documents go together: a batch's inserts in one insertMany, its deletes in one
 * bulkWrite, side by side. Operations on different documents commute; a second operation on a
 * document already in the group, or a grant's revocation (which deletes documents found by grant),
 * starts a new group after the first one is written. A batch of refreshes is one round trip (it
 * was three per refresh before the groups, and two per batch while a rotation updated its token).
 */
export async function applyOps(db: Db, projection: ProjectionName, generation: number, ops: readonly KeyedOp[], mode: GuardMode = 'server'): Promise<void> {
  for (const group of commutingGroups(ops)) {
    if (group.length === 1) await applyOp(db, projection, generation, group[0]!.op, group[0]!.key, mode);
    else await applyGroup(db, generation, group);
  }
}

/** The document a token or code operation writes (collection and `_id`), or null for any other. */
function documentOf(op: ReadOp): string | null {
  switch (op.op) {
    case 'putToken':
      return `tokens ${op.token.hash}`;
    case 'deleteToken':
      return `tokens ${op.hash}`;
    case 'putCode':
      return `codes ${op.code.hash}`;
    case 'deleteCode':
      return `codes ${op.hash}`;
    default:
      return null;
  }
}

/** `ops` in order, cut into groups whose operations each write a different token or code. */
function commutingGroups(ops: readonly KeyedOp[]): KeyedOp[][] {
  const groups: KeyedOp[][] = [];
  let group: KeyedOp[] = [];
  let documents = new Set<string>();
  for (const op of ops) {
    const document = documentOf(op.op);
    if (document === null || documents.has(document)) {
      if (group.length > 0) groups.push(group);
      [group, documents] = [[], new Set()];
    }
    if (document === null) {
      groups.push([op]);
      continue;
    }
    group.push(op);
    documents.add(document);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** A group of token and code operations on distinct documents: one round trip of each kind. */
async function applyGroup(db: Db, generation: number, group: readonly KeyedOp[]): Promise<void> {
  const tokens = generationCollection(db, 'tokens', generation);
  const codes = generationCollection(db, 'codes', generation);
  const tokenInserts: Array<{ id: string; key: string; fields: Omit<TokenDoc, '_id' | 'pos'> }> = [];
  const codeInserts: Array<{ id: string; key: string; fields: Omit<CodeView, 'hash'> }> = [];
  const tokenDeletes: string[] = [];
  const codeDeletes: string[] = [];
  for (const { op, key } of group) {
    if (op.op === 'putToken') {
      const { hash, fields } = tokenDocument(op.token);
      tokenInserts.push({ id: hash, key, fields });
    } else if (op.op === 'putCode') {
      const { hash, ...fields } = op.code;
      codeInserts.push({ id: hash, key, fields });
    } else if (op.op === 'deleteToken') tokenDeletes.push(op.hash);
    else if (op.op === 'deleteCode') codeDeletes.push(op.hash);
  }
  // Every write settles before a failure is thrown: the caller may then drop the generation, and
  // a write still on its way would make it again.
  const settled = await Promise.allSettled([
    insertManyOnce(tokens, tokenInserts),
    insertManyOnce(codes, codeInserts),
    deleteManyById(tokens, tokenDeletes),
    deleteManyById(codes, codeDeletes),
  ]);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
