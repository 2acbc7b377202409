import type { ReadOp, TokenView } from '../store/read-store.js';
import { type Projector, recordedAt } from './projector.js';

type Family = Pick<TokenView, 'grantId' | 'clientId' | 'userId' | 'username' | 'scope'>;

/**
 * What a refresh token's row records of its family (TokenView.grantRevision): the event's
 * revision and the granted scope, when the event carries the family's whole identity.
 */
type IssuedBy = Pick<TokenView, 'grantRevision' | 'grantedScope'>;
const UNKNOWN: IssuedBy = { grantRevision: null, grantedScope: null };

/** The rows of a newly issued pair, built field by field (this runs for every token issued). */
function tokenRows(
  family: Family,
  issuedAt: number,
  access: { hash: string; expiresAt: number },
  refresh: ({ hash: string; expiresAt: number } & IssuedBy) | null,
): ReadOp[] {
  const row = (hash: string, kind: TokenView['kind'], expiresAt: number, by: IssuedBy): ReadOp => ({
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
      grantRevision: by.grantRevision,
      grantedScope: by.grantedScope,
    },
  });
  const ops = [row(access.hash, 'access', access.expiresAt, UNKNOWN)];
  if (refresh) ops.push(row(refresh.hash, 'refresh', refresh.expiresAt, refresh));
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
            ? { hash: d.refreshTokenHash, expiresAt: d.refreshExpiresAt, grantRevision: Number(recorded.revision), grantedScope: d.scope }
            : null;
        return tokenRows(d, recordedAt(recorded), { hash: d.accessTokenHash, expiresAt: d.accessExpiresAt }, refresh);
      }
      case 'TokenRefreshed': {
        // The rotated refresh token's row is left as it is, for reuse detection until it expires:
        // whether a refresh token is still its grant's current one is the grant stream's to say
        // (commands/introspect.ts). Rewriting that row cost every refresh a random page (0014).
        const d = e.data;
        // A rotation recorded before grantedScope was: its family's scope is in older events.
        const by =
          d.grantedScope === undefined ? UNKNOWN : { grantRevision: Number(recorded.revision), grantedScope: d.grantedScope };
        return tokenRows(
          d,
          recordedAt(recorded),
          { hash: d.accessTokenHash, expiresAt: d.accessExpiresAt },
          { hash: d.refreshTokenHash, expiresAt: d.refreshExpiresAt, ...by },
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
