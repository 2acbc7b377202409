import type { ReadOp, TokenView } from '../store/read-store.js';
import { type Projector, recordedAt } from './projector.js';

type Family = Pick<TokenView, 'grantId' | 'clientId' | 'userId' | 'username' | 'scope' | 'issuedAt'>;

function tokenRows(
  { grantId, clientId, userId, username, scope, issuedAt }: Family,
  access: { hash: string; expiresAt: number },
  refresh: { hash: string; expiresAt: number } | null,
): ReadOp[] {
  const family = { grantId, clientId, userId, username, scope, issuedAt };
  const ops: ReadOp[] = [
    { op: 'putToken', token: { ...family, hash: access.hash, kind: 'access', status: 'active', expiresAt: access.expiresAt } },
  ];
  if (refresh) {
    ops.push({
      op: 'putToken',
      token: { ...family, hash: refresh.hash, kind: 'refresh', status: 'active', expiresAt: refresh.expiresAt },
    });
  }
  return ops;
}

export const tokensProjector: Projector = {
  name: 'tokens',
  project(e, recorded) {
    switch (e.type) {
      case 'TokenIssued': {
        const d = e.data;
        const family = { ...d, issuedAt: recordedAt(recorded) };
        const refresh =
          d.refreshTokenHash !== null && d.refreshExpiresAt !== null
            ? { hash: d.refreshTokenHash, expiresAt: d.refreshExpiresAt }
            : null;
        return tokenRows(family, { hash: d.accessTokenHash, expiresAt: d.accessExpiresAt }, refresh);
      }
      case 'TokenRefreshed': {
        const d = e.data;
        return [
          { op: 'rotateToken', hash: d.previousRefreshTokenHash },
          ...tokenRows(
            { ...d, issuedAt: recordedAt(recorded) },
            { hash: d.accessTokenHash, expiresAt: d.accessExpiresAt },
            { hash: d.refreshTokenHash, expiresAt: d.refreshExpiresAt },
          ),
        ];
      }
      case 'TokenRevoked':
        return e.data.tokenHash
          ? [{ op: 'deleteToken', hash: e.data.tokenHash }]
          : [{ op: 'revokeGrant', grantId: e.data.grantId }];
      default:
        return [];
    }
  },
};
