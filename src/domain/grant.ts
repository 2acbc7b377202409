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
  /** The latest rotation, when it recorded its successor: a repeat of it within the grace window gets the same pair. */
  lastRotation: LastRotation | null;
}

export interface LastRotation {
  previousRefreshTokenHash: string;
  rotatedAt: number;
  /** The successor pair as the event records it, for the previous refresh token's holder only (security/successor.ts). */
  sealed: string;
  scope: string;
  accessTokenHash: string;
  accessExpiresAt: number;
  /** The successor access token was revoked on its own: a repeat cannot hand it out again. */
  accessRevoked: boolean;
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
  lastRotation: null,
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
        lastRotation: null,
      };
    case 'TokenRefreshed': {
      const d = e.data;
      // With grantedScope the event carries the family's whole identity: folded onto nothing (a
      // load that read back only this far) it gives what the whole stream gives.
      const identity =
        d.grantedScope === undefined
          ? {}
          : { exists: true, clientId: d.clientId, userId: d.userId, username: d.username, grantedScope: d.grantedScope };
      return {
        ...state,
        ...identity,
        refreshTokenHash: d.refreshTokenHash,
        refreshExpiresAt: d.refreshExpiresAt,
        lastRotation: d.successor
          ? {
              previousRefreshTokenHash: d.previousRefreshTokenHash,
              rotatedAt: d.successor.rotatedAt,
              sealed: d.successor.sealed,
              scope: d.scope,
              accessTokenHash: d.accessTokenHash,
              accessExpiresAt: d.accessExpiresAt,
              accessRevoked: false,
            }
          : null,
      };
    }
    case 'TokenRevoked': {
      if (!e.data.tokenHash) return { ...state, revoked: true };
      const last = state.lastRotation;
      return last && last.accessTokenHash === e.data.tokenHash ? { ...state, lastRotation: { ...last, accessRevoked: true } } : state;
    }
    default:
      return state;
  }
}

/** A refresh token as the event that issued it left its family: what the tokens read model records. */
export interface IssuedRefreshToken {
  hash: string;
  clientId: string;
  userId: string | null;
  username: string | null;
  grantedScope: string;
  expiresAt: number;
}

/**
 * The family's state right after the event that issued `token`, when that event carries the
 * family's whole identity (startsGrantState): `token` is its refresh token and nothing is revoked.
 * lastRotation is left out: only a repeat of the token before `token` needs it, and rotating
 * `token` replaces it.
 */
export function grantStateAfterIssue(token: IssuedRefreshToken): GrantState {
  return {
    exists: true,
    clientId: token.clientId,
    userId: token.userId,
    username: token.username,
    grantedScope: token.grantedScope,
    refreshTokenHash: token.hash,
    refreshExpiresAt: token.expiresAt,
    revoked: false,
    lastRotation: null,
  };
}

/** Whether `hash` is the refresh token a standing grant would rotate now: not one it rotated away from. */
export function isCurrentRefreshToken(state: GrantState, hash: string): boolean {
  return state.exists && !state.revoked && state.refreshTokenHash === hash;
}

/**
 * Whether the state after `e` needs no older event of its stream: an issuance, or a rotation that
 * records the granted scope. A load may read a family's stream back to the latest such event
 * (commands/load.ts), so that a refresh costs the same however many rotations came before.
 */
export function startsGrantState(e: DomainEvent): boolean {
  return e.type === 'TokenIssued' || (e.type === 'TokenRefreshed' && e.data.grantedScope !== undefined);
}

export interface RefreshRequest {
  presentedHash: string;
  /**
   * Whether the tokens read model lists the presented token as a refresh token of this grant. Such
   * a token that is not the current one was rotated away from: a grant has one refresh token at a
   * time, and only a rotation replaces it. So the state need not keep every rotated hash, and a
   * family's state stays the same size however long it lives.
   */
  presentedIsGrantRefreshToken: boolean;
  clientId: string;
  scope: string | undefined;
  now: number;
  access: { hash: string; expiresAt: number };
  refresh: { hash: string; expiresAt: number };
  /** The new pair, recoverable only with the presented refresh token; recorded so a repeat can answer it. */
  sealedSuccessor?: string;
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
      grantedScope: state.grantedScope,
      previousRefreshTokenHash: req.presentedHash,
      accessTokenHash: req.access.hash,
      accessExpiresAt: req.access.expiresAt,
      refreshTokenHash: req.refresh.hash,
      refreshExpiresAt: req.refresh.expiresAt,
      ...(req.sealedSuccessor === undefined ? {} : { successor: { rotatedAt: req.now, sealed: req.sealedSuccessor } }),
  });
  return { events: [refreshed], scope };
}

/** What a refresh request comes to, once reuse of a rotated refresh token is told apart from a repeat. */
export type RefreshDecision =
  /** The presented token is the current one: rotate it (append `events`). */
  | { outcome: 'rotate'; events: DomainEvent[]; scope: string }
  /** A repeat of the latest rotation within the grace window: answer the pair recorded in `sealed`. */
  | { outcome: 'repeat'; sealed: string; scope: string; accessExpiresAt: number; accessTokenHash: string }
  /** A rotated token presented again: append `events` (the grant is revoked), then refuse. */
  | { outcome: 'reuse'; events: DomainEvent[] };

/**
 * RFC 9700 §4.14 refresh token rotation with reuse detection. A refresh token this grant rotated
 * away from is either a repeat of the latest rotation within `graceSeconds` (concurrent requests,
 * a retry after a lost response) or reuse: then the whole grant is revoked. Everything else (the
 * current token; a token that is not a refresh token of this grant; a revoked grant; another
 * client) is decideRefresh's, which refuses without revoking anything.
 */
export function decideRefreshAttempt(
  state: GrantState,
  grantId: string,
  req: RefreshRequest,
  graceSeconds: number,
): RefreshDecision {
  const rotated =
    req.presentedIsGrantRefreshToken &&
    state.exists &&
    !state.revoked &&
    state.clientId === req.clientId &&
    state.refreshTokenHash !== req.presentedHash;
  if (!rotated) return { outcome: 'rotate', ...decideRefresh(state, grantId, req) };
  const last = state.lastRotation;
  if (last && last.previousRefreshTokenHash === req.presentedHash && req.now < last.rotatedAt + graceSeconds) {
    if (last.accessRevoked) throw new OAuthError('invalid_grant', 'refresh token has already been used');
    return { outcome: 'repeat', sealed: last.sealed, scope: last.scope, accessExpiresAt: last.accessExpiresAt, accessTokenHash: last.accessTokenHash };
  }
  return {
    outcome: 'reuse',
    events: [
      event('RefreshTokenReuseDetected', { grantId, clientId: state.clientId, presentedRefreshTokenHash: req.presentedHash }),
      ...decideRevokeGrant(state, grantId, 'refresh_token_reuse'),
    ],
  };
}

export function decideRevokeGrant(
  state: GrantState,
  grantId: string,
  reason: EventData<'TokenRevoked'>['reason'],
): DomainEvent[] {
  if (!state.exists || state.revoked) return [];
  return [event('TokenRevoked', { grantId, clientId: state.clientId, reason })];
}
