import { OAuthError } from './errors.js';
import { type DomainEvent, type EventData, event } from './events.js';
import { narrowScope } from './scope.js';

/** One token family: what a grant issued, and whether it still stands. */
export interface GrantState {
  exists: boolean;
  clientId: string;
  userId: string | null;
  username: string | null;
  /** The scope the resource owner first granted: refreshes may narrow it, never widen it. */
  grantedScope: string;
  refreshTokenHash: string | null;
  refreshExpiresAt: number | null;
  revoked: boolean;
}

export const initialGrant: GrantState = {
  exists: false,
  clientId: '',
  userId: null,
  username: null,
  grantedScope: '',
  refreshTokenHash: null,
  refreshExpiresAt: null,
  revoked: false,
};

export function grantStream(grantId: string): string {
  return `grant-${grantId}`;
}

export function evolveGrant(state: GrantState, e: DomainEvent): GrantState {
  switch (e.type) {
    case 'TokenIssued':
      return {
        exists: true,
        clientId: e.data.clientId,
        userId: e.data.userId,
        username: e.data.username,
        grantedScope: e.data.scope,
        refreshTokenHash: e.data.refreshTokenHash,
        refreshExpiresAt: e.data.refreshExpiresAt,
        revoked: false,
      };
    case 'TokenRefreshed':
      return { ...state, refreshTokenHash: e.data.refreshTokenHash, refreshExpiresAt: e.data.refreshExpiresAt };
    case 'TokenRevoked':
      return e.data.tokenHash ? state : { ...state, revoked: true };
    default:
      return state;
  }
}

export interface RefreshRequest {
  presentedHash: string;
  clientId: string;
  scope: string | undefined;
  now: number;
  access: { hash: string; expiresAt: number };
  refresh: { hash: string; expiresAt: number };
}

export function decideRefresh(
  state: GrantState,
  grantId: string,
  req: RefreshRequest,
): { events: DomainEvent[]; scope: string } {
  const invalid = (why: string) => new OAuthError('invalid_grant', why);
  if (!state.exists) throw invalid('refresh token is invalid');
  if (state.clientId !== req.clientId) throw invalid('refresh token was issued to another client');
  if (state.revoked) throw invalid('refresh token has been revoked');
  if (state.refreshTokenHash !== req.presentedHash) throw invalid('refresh token has already been used');
  if (state.refreshExpiresAt !== null && req.now >= state.refreshExpiresAt) throw invalid('refresh token has expired');
  const scope = narrowScope(req.scope, state.grantedScope);
  const refreshed = event('TokenRefreshed', {
      grantId,
      clientId: state.clientId,
      userId: state.userId,
      username: state.username,
      scope,
      previousRefreshTokenHash: req.presentedHash,
      accessTokenHash: req.access.hash,
      accessExpiresAt: req.access.expiresAt,
      refreshTokenHash: req.refresh.hash,
      refreshExpiresAt: req.refresh.expiresAt,
  });
  return { events: [refreshed], scope };
}

export function decideRevokeGrant(
  state: GrantState,
  grantId: string,
  reason: EventData<'TokenRevoked'>['reason'],
): DomainEvent[] {
  if (!state.exists || state.revoked) return [];
  return [event('TokenRevoked', { grantId, clientId: state.clientId, reason })];
}
