import type { ReadOp } from '../read-store.js';
import type { Collections } from './collections.js';
import { insertOnce, putIfNotNewer, updateIfNotNewer } from './guarded-write.js';

/**
 * Applies one read-model operation, guarded by `key`, the position key of the batch it belongs to.
 * A document remembers the key of the last batch that wrote it; an operation from an older batch
 * leaves it alone, and replaying a batch writes the same values again, so it changes nothing.
 * Tokens and codes are written once (a replayed put must not undo a later status change), and a
 * revoked token stays revoked, as in the SQLite store.
 */
export async function applyOp(c: Collections, op: ReadOp, key: string): Promise<void> {
  switch (op.op) {
    case 'putClient': {
      const { clientId, ...fields } = op.client;
      return putIfNotNewer(c.clients, clientId, key, fields);
    }
    case 'setClientSecret':
      return updateIfNotNewer(c.clients, op.clientId, key, { secretHash: op.secretHash });
    case 'putUser': {
      const { userId, ...fields } = op.user;
      return putIfNotNewer(c.users, userId, key, { ...fields, usernameKey: fields.username.toLowerCase() });
    }
    case 'setUserPassword':
      return updateIfNotNewer(c.users, op.userId, key, { passwordHash: op.passwordHash });
    case 'putScope': {
      const { name, ...fields } = op.scope;
      return putIfNotNewer(c.scopes, name, key, fields);
    }
    case 'putCode': {
      const { hash, ...fields } = op.code;
      return insertOnce(c.codes, hash, key, fields);
    }
    case 'markCodeRedeemed':
      return updateIfNotNewer(c.codes, op.hash, key, { redeemed: true });
    case 'putToken': {
      const { hash, ...fields } = op.token;
      return insertOnce(c.tokens, hash, key, fields);
    }
    case 'setTokenStatus':
      await c.tokens.updateOne(
        { _id: op.hash, pos: { $lte: key }, status: { $ne: 'revoked' } },
        { $set: { status: op.status, pos: key } },
      );
      return;
    case 'revokeGrant':
      await c.tokens.updateMany(
        { grantId: op.grantId, pos: { $lte: key } },
        { $set: { status: 'revoked', pos: key } },
      );
      return;
  }
}
