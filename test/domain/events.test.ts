import { describe, expect, it } from 'vitest';
import { type EventData, EventSchemas, type EventType, event, isEventType, parseEvent } from '../../src/domain/events.js';

const h = (c: string) => c.repeat(64);

/** One valid payload of every event type the server records. */
const VALID: { [T in EventType]: EventData<T> } = {
  ClientRegistered: {
    clientId: 'app',
    name: 'The App',
    secretHash: null,
    redirectUris: ['https://app.example/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    allowedScopes: ['read'],
    resourceServer: false,
  },
  ClientSecretRotated: { clientId: 'app', secretHash: 'scrypt$x' },
  UserRegistered: { userId: 'u-1', username: 'alice', passwordHash: 'scrypt$pw' },
  UsernameClaimed: { username: 'alice', userId: 'u-1' },
  UserPasswordChanged: { userId: 'u-1', passwordHash: 'scrypt$pw2' },
  ScopeDefined: { name: 'read', description: 'Read', isDefault: true },
  ScopeChanged: { name: 'read', description: 'Read all', isDefault: false },
  CodeIssued: {
    codeHash: h('a'),
    grantId: 'g-1',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    redirectUri: 'https://app.example/cb',
    redirectUriProvided: false,
    scope: 'read',
    expiresAt: 1_764_000_600,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
  },
  CodeRedeemed: { codeHash: h('a'), grantId: 'g-1', clientId: 'app' },
  CodeReplayDetected: { codeHash: h('a'), grantId: 'g-1', clientId: 'app' },
  TokenIssued: {
    grantId: 'g-1',
    grantType: 'authorization_code',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read',
    accessTokenHash: h('b'),
    accessExpiresAt: 1_764_003_600,
    refreshTokenHash: h('c'),
    refreshExpiresAt: 1_766_592_000,
    codeHash: h('a'),
  },
  TokenRefreshed: {
    grantId: 'g-1',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read',
    previousRefreshTokenHash: h('c'),
    accessTokenHash: h('d'),
    accessExpiresAt: 1_764_007_200,
    refreshTokenHash: h('e'),
    refreshExpiresAt: 1_766_595_600,
  },
  TokenRevoked: { grantId: 'g-1', clientId: 'app', reason: 'revocation_request', tokenHash: h('b') },
  RefreshTokenReuseDetected: { grantId: 'g-1', clientId: 'app', presentedRefreshTokenHash: h('c') },
  ConsentGranted: { userId: 'u-1', clientId: 'app', scope: 'read write' },
  ConsentRevoked: { userId: 'u-1', clientId: 'app' },
};

const TYPES = Object.keys(EventSchemas) as EventType[];

describe('parseEvent', () => {
  it('has a sample for every schema', () => {
    expect(Object.keys(VALID).sort()).toEqual([...TYPES].sort());
  });

  it.each(TYPES)('accepts valid %s data, as the typed event', (type) => {
    const data: unknown = JSON.parse(JSON.stringify(VALID[type]));
    expect(parseEvent(type, data)).toEqual({ type, data: VALID[type] });
  });

  it('accepts the older shapes: optional fields absent, nullable ones null', () => {
    const { codeChallenge: _c, codeChallengeMethod: _m, ...plainCode } = VALID.CodeIssued;
    expect(parseEvent('CodeIssued', plainCode)).toEqual({ type: 'CodeIssued', data: plainCode });
    const clientCredentials = {
      ...VALID.TokenIssued,
      grantType: 'client_credentials',
      userId: null,
      username: null,
      refreshTokenHash: null,
      refreshExpiresAt: null,
      codeHash: undefined,
    };
    expect(parseEvent('TokenIssued', clientCredentials)?.type).toBe('TokenIssued');
    const { tokenHash: _t, ...wholeGrant } = VALID.TokenRevoked;
    expect(parseEvent('TokenRevoked', wholeGrant)).toEqual({ type: 'TokenRevoked', data: wholeGrant });
  });

  it.each([
    ['a non-hex token hash', 'TokenIssued', { ...VALID.TokenIssued, accessTokenHash: 'z'.repeat(64) }],
    ['an upper-case hex hash', 'TokenIssued', { ...VALID.TokenIssued, accessTokenHash: 'A'.repeat(64) }],
    ['a short code hash', 'CodeRedeemed', { ...VALID.CodeRedeemed, codeHash: h('a').slice(1) }],
    ['a raw token in place of a hash', 'TokenRevoked', { ...VALID.TokenRevoked, tokenHash: 'my-secret-token' }],
    ['a missing field', 'UserRegistered', { userId: 'u-1', username: 'alice' }],
    ['a wrong type', 'ScopeDefined', { ...VALID.ScopeDefined, isDefault: 'yes' }],
    ['an unknown grant type', 'ClientRegistered', { ...VALID.ClientRegistered, grantTypes: ['magic'] }],
    ['an empty client id', 'ClientRegistered', { ...VALID.ClientRegistered, clientId: '' }],
    ['a refresh grant type on issue', 'TokenIssued', { ...VALID.TokenIssued, grantType: 'refresh_token' }],
    ['a fractional expiry', 'CodeIssued', { ...VALID.CodeIssued, expiresAt: 1.5 }],
    ['a negative expiry', 'TokenRefreshed', { ...VALID.TokenRefreshed, accessExpiresAt: -1 }],
    ['a plain PKCE method', 'CodeIssued', { ...VALID.CodeIssued, codeChallengeMethod: 'plain' }],
    ['an unknown revocation reason', 'TokenRevoked', { ...VALID.TokenRevoked, reason: 'because' }],
    ['null data', 'ClientSecretRotated', null],
  ])('throws on %s', (_label, type, data) => {
    expect(() => parseEvent(type, data)).toThrow();
  });

  it('returns null for a type this version does not know', () => {
    expect(parseEvent('SomethingNew', { any: 'thing' })).toBeNull();
    expect(parseEvent('toString', {})).toBeNull();
    expect(parseEvent('__proto__', {})).toBeNull();
    expect(isEventType('hasOwnProperty')).toBe(false);
    expect(isEventType('TokenIssued')).toBe(true);
  });

  it('round-trips what event() builds', () => {
    const e = event('UsernameClaimed', VALID.UsernameClaimed);
    expect(parseEvent(e.type, JSON.parse(JSON.stringify(e.data)))).toEqual(e);
  });
});
