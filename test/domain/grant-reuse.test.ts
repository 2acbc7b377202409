import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/aggregate.js';
import { type DomainEvent, type EventData, event, parseEvent } from '../../src/domain/events.js';
import { decideRefreshAttempt, evolveGrant, type GrantState, initialGrant, type RefreshRequest, startsGrantState } from '../../src/domain/grant.js';
import { tokensProjector } from '../../src/projections/tokens.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { oauthError } from '../support/oauth-error.js';

const h = (c: string) => c.repeat(64);
const NOW = 1_764_000_000;
const GRANT = 'grant-1';
const GRACE = 10;

const issued: DomainEvent = event('TokenIssued', {
  grantId: GRANT,
  grantType: 'password',
  clientId: 'app',
  userId: 'u-1',
  username: 'alice',
  scope: 'read write',
  accessTokenHash: h('a'),
  accessExpiresAt: NOW + 3600,
  refreshTokenHash: h('b'),
  refreshExpiresAt: NOW + 86_400,
});

/** b → d at NOW, with the successor recorded (opaque to the domain: security/successor.ts). */
const refreshed = (over: Partial<EventData<'TokenRefreshed'>> = {}): DomainEvent =>
  event('TokenRefreshed', {
    grantId: GRANT,
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read',
    previousRefreshTokenHash: h('b'),
    accessTokenHash: h('c'),
    accessExpiresAt: NOW + 3600,
    refreshTokenHash: h('d'),
    refreshExpiresAt: NOW + 86_400,
    successor: { rotatedAt: NOW, sealed: 'v1.sealed-pair' },
    ...over,
  });

const stateOf = (...events: DomainEvent[]): GrantState => fold(evolveGrant, initialGrant, events);

const request = (over: Partial<RefreshRequest> = {}): RefreshRequest => ({
  presentedHash: h('b'),
  presentedIsGrantRefreshToken: true,
  clientId: 'app',
  scope: undefined,
  now: NOW + 1,
  access: { hash: h('e'), expiresAt: NOW + 3601 },
  refresh: { hash: h('f'), expiresAt: NOW + 86_401 },
  sealedSuccessor: 'v1.new-sealed-pair',
  ...over,
});

describe('evolveGrant keeps the latest rotation', () => {
  it('starts with no last rotation', () => {
    expect(stateOf(issued)).toMatchObject({ lastRotation: null });
  });

  it('keeps the current refresh token and the latest rotation with its sealed successor', () => {
    const s = stateOf(issued, refreshed(), refreshed({ previousRefreshTokenHash: h('d'), refreshTokenHash: h('9'), accessTokenHash: h('8'), successor: { rotatedAt: NOW + 50, sealed: 'v1.second' } }));
    expect(s.refreshTokenHash).toBe(h('9'));
    expect(s.lastRotation).toEqual({
      previousRefreshTokenHash: h('d'),
      rotatedAt: NOW + 50,
      sealed: 'v1.second',
      scope: 'read',
      accessTokenHash: h('8'),
      accessExpiresAt: NOW + 3600,
      accessRevoked: false,
    });
  });

  it('needs no older event after a rotation that records the granted scope: folded alone, it gives the whole family', () => {
    const first = refreshed({ grantedScope: 'read write' });
    const second = refreshed({ grantedScope: 'read write', previousRefreshTokenHash: h('d'), refreshTokenHash: h('9'), accessTokenHash: h('8'), successor: { rotatedAt: NOW + 50, sealed: 'v1.second' } });
    const revokeAccess = event('TokenRevoked', { grantId: GRANT, clientId: 'app', reason: 'revocation_request', tokenHash: h('8') });
    expect(stateOf(second)).toEqual(stateOf(issued, first, second));
    expect(stateOf(second, revokeAccess)).toEqual(stateOf(issued, first, second, revokeAccess));
    expect([issued, first, second].map(startsGrantState)).toEqual([true, true, true]);
  });

  it('needs the events before a rotation recorded without the granted scope (before 2026-11-29)', () => {
    expect(startsGrantState(refreshed())).toBe(false);
    expect(stateOf(refreshed()).exists).toBe(false);
    expect(stateOf(issued, refreshed())).toMatchObject({ exists: true, grantedScope: 'read write', refreshTokenHash: h('d') });
  });

  it('keeps no last rotation for a TokenRefreshed without a sealed successor (grace off, or older events)', () => {
    const { successor: _, ...data } = (refreshed() as { data: EventData<'TokenRefreshed'> }).data;
    const s = stateOf(issued, event('TokenRefreshed', data));
    expect(s.refreshTokenHash).toBe(h('d'));
    expect(s.lastRotation).toBeNull();
  });

  it('notes when the successor access token is revoked on its own', () => {
    const revokeAccess = (tokenHash: string) => event('TokenRevoked', { grantId: GRANT, clientId: 'app', reason: 'revocation_request', tokenHash });
    expect(stateOf(issued, refreshed(), revokeAccess(h('c'))).lastRotation?.accessRevoked).toBe(true);
    expect(stateOf(issued, refreshed(), revokeAccess(h('a'))).lastRotation?.accessRevoked).toBe(false);
  });

  it('replays a TokenRefreshed with a successor read back from storage', () => {
    const stored = JSON.parse(JSON.stringify(refreshed().data)) as unknown;
    expect(parseEvent('TokenRefreshed', stored)).toEqual(refreshed());
  });
});

describe('decideRefreshAttempt', () => {
  it('rotates the current token, recording the sealed successor and the rotation time', () => {
    const d = decideRefreshAttempt(stateOf(issued), GRANT, request({ now: NOW + 5 }), GRACE);
    expect(d.outcome).toBe('rotate');
    if (d.outcome !== 'rotate') return;
    expect(d.scope).toBe('read write');
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({
      type: 'TokenRefreshed',
      data: { previousRefreshTokenHash: h('b'), refreshTokenHash: h('f'), successor: { rotatedAt: NOW + 5, sealed: 'v1.new-sealed-pair' } },
    });
  });

  it('records no successor when none is sealed (grace window off)', () => {
    const { sealedSuccessor: _, ...req } = request();
    const d = decideRefreshAttempt(stateOf(issued), GRANT, req, 0);
    expect(d.outcome === 'rotate' && d.events[0]?.data).not.toHaveProperty('successor');
  });

  it('answers a repeat of the latest rotation within the grace window with the recorded pair, appending nothing', () => {
    const s = stateOf(issued, refreshed());
    for (const now of [NOW, NOW + 1, NOW + GRACE - 1]) {
      expect(decideRefreshAttempt(s, GRANT, request({ now }), GRACE)).toEqual({
        outcome: 'repeat',
        sealed: 'v1.sealed-pair',
        scope: 'read',
        accessExpiresAt: NOW + 3600,
        accessTokenHash: h('c'),
      });
    }
  });

  it('treats the same token once the grace window is over as reuse: RefreshTokenReuseDetected, then the grant revoked', () => {
    const s = stateOf(issued, refreshed());
    for (const now of [NOW + GRACE, NOW + 3600]) {
      expect(decideRefreshAttempt(s, GRANT, request({ now }), GRACE)).toEqual({
        outcome: 'reuse',
        events: [
          { type: 'RefreshTokenReuseDetected', data: { grantId: GRANT, clientId: 'app', presentedRefreshTokenHash: h('b') } },
          { type: 'TokenRevoked', data: { grantId: GRANT, clientId: 'app', reason: 'refresh_token_reuse' } },
        ],
      });
    }
  });

  it('treats every repeat as reuse when the grace window is 0', () => {
    expect(decideRefreshAttempt(stateOf(issued, refreshed()), GRANT, request({ now: NOW }), 0).outcome).toBe('reuse');
  });

  it('treats an older rotated token as reuse even within the window: only the latest rotation repeats', () => {
    const s = stateOf(issued, refreshed(), refreshed({ previousRefreshTokenHash: h('d'), refreshTokenHash: h('9'), successor: { rotatedAt: NOW + 1, sealed: 'v1.second' } }));
    expect(decideRefreshAttempt(s, GRANT, request({ presentedHash: h('b'), now: NOW + 2 }), GRACE).outcome).toBe('reuse');
    expect(decideRefreshAttempt(s, GRANT, request({ presentedHash: h('d'), now: NOW + 2 }), GRACE).outcome).toBe('repeat');
  });

  it('treats a repeat as reuse when the rotation sealed no successor', () => {
    const { successor: _, ...data } = (refreshed() as { data: EventData<'TokenRefreshed'> }).data;
    expect(decideRefreshAttempt(stateOf(issued, event('TokenRefreshed', data)), GRANT, request(), GRACE).outcome).toBe('reuse');
  });

  it('refuses a repeat whose successor access token was revoked, without revoking the grant', () => {
    const s = stateOf(issued, refreshed(), event('TokenRevoked', { grantId: GRANT, clientId: 'app', reason: 'revocation_request', tokenHash: h('c') }));
    expect(oauthError(() => decideRefreshAttempt(s, GRANT, request(), GRACE)).code).toBe('invalid_grant');
  });

  it('appends nothing for a rotated token of an already revoked grant', () => {
    const s = stateOf(issued, refreshed(), event('TokenRevoked', { grantId: GRANT, clientId: 'app', reason: 'refresh_token_reuse' }));
    const err = oauthError(() => decideRefreshAttempt(s, GRANT, request({ now: NOW + 100 }), GRACE));
    expect(err).toMatchObject({ code: 'invalid_grant', description: 'refresh token has been revoked' });
  });

  it('does not let another client trigger reuse detection with a rotated token', () => {
    const err = oauthError(() => decideRefreshAttempt(stateOf(issued, refreshed()), GRANT, request({ clientId: 'other', now: NOW + 100 }), GRACE));
    expect(err.description).toMatch(/another client/);
  });

  it('refuses a hash that is not a refresh token of the grant without revoking (e.g. its access token)', () => {
    const req = request({ presentedHash: h('a'), presentedIsGrantRefreshToken: false, now: NOW + 100 });
    const err = oauthError(() => decideRefreshAttempt(stateOf(issued, refreshed()), GRANT, req, GRACE));
    expect(err.code).toBe('invalid_grant');
  });

  it('tells reuse of any earlier refresh token of the grant from a state folded from its latest rotation alone', () => {
    const latest = refreshed({ grantedScope: 'read write', previousRefreshTokenHash: h('d'), refreshTokenHash: h('9'), successor: { rotatedAt: NOW, sealed: 'v1.second' } });
    // b was rotated away two rotations back: the state has never seen its hash.
    expect(decideRefreshAttempt(stateOf(latest), GRANT, request({ presentedHash: h('b'), now: NOW + 1 }), GRACE).outcome).toBe('reuse');
    expect(decideRefreshAttempt(stateOf(latest), GRANT, request({ presentedHash: h('d'), now: NOW + 1 }), GRACE).outcome).toBe('repeat');
    expect(decideRefreshAttempt(stateOf(latest), GRANT, request({ presentedHash: h('9'), now: NOW + 1 }), GRACE).outcome).toBe('rotate');
  });

  it('still rotates the current token after a repeat was answered', () => {
    const d = decideRefreshAttempt(stateOf(issued, refreshed()), GRANT, request({ presentedHash: h('d') }), GRACE);
    expect(d.outcome).toBe('rotate');
  });
});

describe('the tokens projector on reuse', () => {
  const recorded = (e: DomainEvent): RecordedEvent => ({
    id: 'e-1', streamId: `grant-${GRANT}`, revision: 2n, position: { commit: 9n, prepare: 9n }, type: e.type, data: e.data,
    metadata: { occurredAt: new Date(NOW * 1000).toISOString() },
  });
  it('does nothing on RefreshTokenReuseDetected: the TokenRevoked appended with it revokes the grant', () => {
    const d = decideRefreshAttempt(stateOf(issued, refreshed()), GRANT, request({ now: NOW + GRACE }), GRACE);
    expect(d.outcome).toBe('reuse');
    if (d.outcome !== 'reuse') return;
    expect(d.events.map((e) => tokensProjector.project(e, recorded(e)))).toEqual([[], [{ op: 'revokeGrant', grantId: GRANT }]]);
  });
});
