import type { ReadOp, TokenView } from '../store/read-store.js';
import { type Projector, recordedAt } from './projector.js';

type Family = Pick<TokenView, 'grantId' | 'clientId' | 'userId' | 'username' | 'scope'>;

/** The rows of a newly issued pair, built field by field (this runs for every token issued). */
function tokenRows(
  family: Family,
  issuedAt: number,
  access: { hash: string; expiresAt: number },
  refresh: { hash: string; expiresAt: number } | null,
): ReadOp[] {
  const row = (hash: string, kind: TokenView['kind'], expiresAt: number): ReadOp => ({
    op: 'putToken',
    token: {
      hash,
      kind,
      status: 'active',
      grantId: family.grantId,
      clientId: family.clientId,
      userId: family.userId,
      username: family.username,
      scope: family.scope,
      issuedAt,
      expiresAt,
    },
  });
  const ops = [row(access.hash, 'access', access.expiresAt)];
  if (refresh) ops.push(row(refresh.hash, 'refresh', refresh.expiresAt));
  return ops;
}

export const tokensProjector: Projector = {
  name: 'tokens',
  project(e, recorded) {
    switch (e.type) {
      case 'TokenIssued': {
        const d = e.data;
        const refresh =
          d.refreshTokenHash !== null && d.refreshExpiresAt !== null
            ? { hash: d.refreshTokenHash, expiresAt: d.refreshExpiresAt }
            : null;
        return tokenRows(d, recordedAt(recorded), { hash: d.accessTokenHash, expiresAt: d.accessExpiresAt }, refresh);
      }
      case 'TokenRefreshed': {
        // The rotated refresh token's row is left as it is, for reuse detection until it expires:
        // whether a refresh token is still its grant's current one is the grant stream's to say
        // (commands/introspect.ts). Rewriting that row cost every refresh a random page (0014).
        const d = e.data;
        return tokenRows(
          d,
          recordedAt(recorded),
          { hash: d.accessTokenHash, expiresAt: d.accessExpiresAt },
          { hash: d.refreshTokenHash, expiresAt: d.refreshExpiresAt },
        );
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
