import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/aggregate.js';
import { type DomainEvent, type EventData, event } from '../../src/domain/events.js';
import {
  decideRefresh,
  decideRevokeGrant,
  evolveGrant,
  type GrantState,
  grantStream,
  initialGrant,
  type RefreshRequest,
} from '../../src/domain/grant.js';
import { oauthError } from '../support/oauth-error.js';

const h = (c: string) => c.repeat(64);
const NOW = 1_764_000_000;
const GRANT = 'grant-1';

const issued = (over: Partial<EventData<'TokenIssued'>> = {}): DomainEvent =>
  event('TokenIssued', {
    grantId: GRANT,
    grantType: 'authorization_code',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read write',
    accessTokenHash: h('a'),
    accessExpiresAt: NOW + 3600,
    refreshTokenHash: h('b'),
    refreshExpiresAt: NOW + 86_400,
    ...over,
  });

const refreshed = (over: Partial<EventData<'TokenRefreshed'>> = {}): DomainEvent =>
  event('TokenRefreshed', {
    grantId: GRANT,
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read',
    previousRefreshTokenHash: h('b'),
    accessTokenHash: h('c'),
    accessExpiresAt: NOW + 7200,
    refreshTokenHash: h('d'),
    refreshExpiresAt: NOW + 90_000,
    ...over,
  });

const revoked = (tokenHash?: string): DomainEvent =>
  event('TokenRevoked', {
    grantId: GRANT,
    clientId: 'app',
    reason: 'revocation_request',
    ...(tokenHash === undefined ? {} : { tokenHash }),
  });

const stateOf = (...events: DomainEvent[]): GrantState => fold(evolveGrant, initialGrant, events);

const request = (over: Partial<RefreshRequest> = {}): RefreshRequest => ({
  presentedHash: h('b'),
  presentedIsGrantRefreshToken: true,
  clientId: 'app',
  scope: undefined,
  now: NOW + 100,
  access: { hash: h('e'), expiresAt: NOW + 3700 },
  refresh: { hash: h('f'), expiresAt: NOW + 86_500 },
  ...over,
});

describe('grantStream', () => {
  it('names the stream after the grant id', () => {
    expect(grantStream('g-42')).toBe('grant-g-42');
  });
});

describe('evolveGrant', () => {
  it('does not exist before TokenIssued', () => {
    expect(stateOf()).toEqual(initialGrant);
    expect(stateOf().exists).toBe(false);
  });

  it('takes the family from TokenIssued', () => {
    expect(stateOf(issued())).toEqual({
      exists: true,
      clientId: 'app',
      userId: 'u-1',
      username: 'alice',
      grantedScope: 'read write',
      refreshTokenHash: h('b'),
      refreshExpiresAt: NOW + 86_400,
      revoked: false,
      lastRotation: null,
    });
  });

  it('keeps a grant without a refresh token (client_credentials) without one', () => {
    const s = stateOf(
      issued({ grantType: 'client_credentials', userId: null, username: null, refreshTokenHash: null, refreshExpiresAt: null }),
    );
    expect(s).toMatchObject({ exists: true, userId: null, username: null, refreshTokenHash: null, refreshExpiresAt: null });
  });

  it('moves to the new refresh token on TokenRefreshed, keeping the originally granted scope', () => {
    const s = stateOf(issued(), refreshed());
    expect(s.refreshTokenHash).toBe(h('d'));
    expect(s.refreshExpiresAt).toBe(NOW + 90_000);
    expect(s.grantedScope).toBe('read write');
    expect(s.revoked).toBe(false);
  });

  it('is revoked by a whole-grant TokenRevoked, not by a single access-token revocation', () => {
    expect(stateOf(issued(), revoked()).revoked).toBe(true);
    expect(stateOf(issued(), revoked(h('a'))).revoked).toBe(false);
    expect(stateOf(issued(), revoked(h('a'))).refreshTokenHash).toBe(h('b'));
  });

  it('ignores events of other aggregates', () => {
    const s = stateOf(issued());
    expect(evolveGrant(s, event('CodeRedeemed', { codeHash: h('9'), grantId: GRANT, clientId: 'app' }))).toBe(s);
  });
});

describe('decideRefresh', () => {
  it('rotates the refresh token, carrying the family and both new tokens in TokenRefreshed', () => {
    const { events, scope } = decideRefresh(stateOf(issued()), GRANT, request());
    expect(scope).toBe('read write');
    expect(events).toEqual([
      {
        type: 'TokenRefreshed',
        data: {
          grantId: GRANT,
          clientId: 'app',
          userId: 'u-1',
          username: 'alice',
          scope: 'read write',
          grantedScope: 'read write',
          previousRefreshTokenHash: h('b'),
          accessTokenHash: h('e'),
          accessExpiresAt: NOW + 3700,
          refreshTokenHash: h('f'),
          refreshExpiresAt: NOW + 86_500,
        },
      },
    ]);
  });

  it('refreshes the latest refresh token after a rotation', () => {
    const { events } = decideRefresh(stateOf(issued(), refreshed()), GRANT, request({ presentedHash: h('d') }));
    expect(events[0]).toMatchObject({ type: 'TokenRefreshed', data: { previousRefreshTokenHash: h('d') } });
  });

  it('refuses an unknown grant', () => {
    const err = oauthError(() => decideRefresh(initialGrant, GRANT, request()));
    expect(err.code).toBe('invalid_grant');
    expect(err.description).toMatch(/invalid/);
  });

  it('refuses a refresh token issued to another client', () => {
    const err = oauthError(() => decideRefresh(stateOf(issued()), GRANT, request({ clientId: 'other' })));
    expect(err.code).toBe('invalid_grant');
    expect(err.description).toMatch(/another client/);
  });

  it('refuses a revoked grant', () => {
    const err = oauthError(() => decideRefresh(stateOf(issued(), revoked()), GRANT, request()));
    expect(err.code).toBe('invalid_grant');
    expect(err.description).toMatch(/revoked/);
  });

  it('still refreshes after only an access token of the grant was revoked', () => {
    expect(decideRefresh(stateOf(issued(), revoked(h('a'))), GRANT, request()).events).toHaveLength(1);
  });

  it('refuses a rotated (already used) refresh token', () => {
    const err = oauthError(() => decideRefresh(stateOf(issued(), refreshed()), GRANT, request({ presentedHash: h('b') })));
    expect(err.code).toBe('invalid_grant');
    expect(err.description).toMatch(/already been used/);
  });

  it('refuses a hash that was never this grant’s refresh token, e.g. its access token', () => {
    const err = oauthError(() => decideRefresh(stateOf(issued()), GRANT, request({ presentedHash: h('a') })));
    expect(err.code).toBe('invalid_grant');
  });

  it('refuses any refresh of a grant issued without a refresh token', () => {
    const s = stateOf(issued({ refreshTokenHash: null, refreshExpiresAt: null }));
    expect(oauthError(() => decideRefresh(s, GRANT, request())).code).toBe('invalid_grant');
  });

  it('refuses an expired refresh token: now at or after refreshExpiresAt', () => {
    const s = stateOf(issued());
    expect(decideRefresh(s, GRANT, request({ now: NOW + 86_399 })).events).toHaveLength(1);
    for (const now of [NOW + 86_400, NOW + 86_401]) {
      const err = oauthError(() => decideRefresh(s, GRANT, request({ now })));
      expect(err.code).toBe('invalid_grant');
      expect(err.description).toMatch(/expired/);
    }
  });

  it('narrows the scope when asked, recording the narrowed scope', () => {
    const { events, scope } = decideRefresh(stateOf(issued()), GRANT, request({ scope: 'read' }));
    expect(scope).toBe('read');
    expect(events[0]).toMatchObject({ data: { scope: 'read', grantedScope: 'read write' } });
  });

  it('may widen back to the original grant after a narrowed refresh', () => {
    const s = stateOf(issued(), refreshed({ scope: 'read' }));
    expect(decideRefresh(s, GRANT, request({ presentedHash: h('d'), scope: 'read write' })).scope).toBe('read write');
  });

  it('may widen back to the original grant from a state folded from a narrowed rotation alone', () => {
    const s = stateOf(refreshed({ scope: 'read', grantedScope: 'read write' }));
    expect(decideRefresh(s, GRANT, request({ presentedHash: h('d'), scope: 'read write' })).scope).toBe('read write');
  });

  it('refuses to widen beyond the original grant with invalid_scope', () => {
    const err = oauthError(() => decideRefresh(stateOf(issued()), GRANT, request({ scope: 'read admin' })));
    expect(err.code).toBe('invalid_scope');
    expect(err.description).toContain('admin');
  });
});

describe('decideRevokeGrant', () => {
  it('revokes a live grant with the reason given', () => {
    expect(decideRevokeGrant(stateOf(issued()), GRANT, 'refresh_token_reuse')).toEqual([
      { type: 'TokenRevoked', data: { grantId: GRANT, clientId: 'app', reason: 'refresh_token_reuse' } },
    ]);
  });

  it('records nothing for an already revoked grant (idempotent)', () => {
    expect(decideRevokeGrant(stateOf(issued(), revoked()), GRANT, 'revocation_request')).toEqual([]);
  });

  it('records nothing for an unknown grant', () => {
    expect(decideRevokeGrant(initialGrant, GRANT, 'code_replay')).toEqual([]);
  });

  it('still revokes a grant of which only an access token was revoked', () => {
    const events = decideRevokeGrant(stateOf(issued(), revoked(h('a'))), GRANT, 'code_replay');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'TokenRevoked', data: { grantId: GRANT, reason: 'code_replay' } });
    expect(events[0]?.data).not.toHaveProperty('tokenHash');
  });
});
