import { describe, expect, it } from 'vitest';
import { type DomainEvent, type EventData, event } from '../../src/domain/events.js';
import { PROJECTORS } from '../../src/projections/all.js';
import { clientsProjector } from '../../src/projections/clients.js';
import { codesProjector } from '../../src/projections/codes.js';
import { type Projector, recordedAt } from '../../src/projections/projector.js';
import { scopesProjector } from '../../src/projections/scopes.js';
import { tokensProjector } from '../../src/projections/tokens.js';
import { usersProjector } from '../../src/projections/users.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import type { ReadOp } from '../../src/store/read-store.js';

const h = (c: string) => c.repeat(64);
const OCCURRED = '2025-11-24T16:00:00.750Z';
const OCCURRED_S = Math.floor(Date.parse(OCCURRED) / 1000);

function recorded(e: DomainEvent, revision = 0n): RecordedEvent {
  return {
    id: 'e-1',
    streamId: 's-1',
    revision,
    position: { commit: 1n, prepare: 1n },
    type: e.type,
    data: e.data,
    metadata: { occurredAt: OCCURRED },
  };
}

const project = (p: Projector, e: DomainEvent, revision = 0n): ReadOp[] => p.project(e, recorded(e, revision));

const client: EventData<'ClientRegistered'> = {
  clientId: 'app',
  name: 'The App',
  secretHash: 'scrypt$s',
  redirectUris: ['https://app.example/cb'],
  grantTypes: ['authorization_code'],
  allowedScopes: null,
  resourceServer: true,
};

const tokenIssued = (over: Partial<EventData<'TokenIssued'>> = {}): DomainEvent =>
  event('TokenIssued', {
    grantId: 'g-1',
    grantType: 'authorization_code',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read write',
    accessTokenHash: h('a'),
    accessExpiresAt: 1_764_003_600,
    refreshTokenHash: h('b'),
    refreshExpiresAt: 1_766_592_000,
    codeHash: h('0'),
    ...over,
  });

/** One event of every type, to check which projector reacts to what. */
const SAMPLES: DomainEvent[] = [
  event('ClientRegistered', client),
  event('ClientSecretRotated', { clientId: 'app', secretHash: 'scrypt$t' }),
  event('UserRegistered', { userId: 'u-1', username: 'Alice', passwordHash: 'scrypt$p' }),
  event('UsernameClaimed', { username: 'Alice', userId: 'u-1' }),
  event('UserPasswordChanged', { userId: 'u-1', passwordHash: 'scrypt$q' }),
  event('ScopeDefined', { name: 'read', description: 'Read', isDefault: true }),
  event('ScopeChanged', { name: 'read', description: 'Read all', isDefault: false }),
  event('CodeIssued', {
    codeHash: h('c'),
    grantId: 'g-1',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    redirectUri: 'https://app.example/cb',
    redirectUriProvided: true,
    scope: 'read',
    expiresAt: 1_764_000_600,
  }),
  event('CodeRedeemed', { codeHash: h('c'), grantId: 'g-1', clientId: 'app' }),
  event('CodeReplayDetected', { codeHash: h('c'), grantId: 'g-1', clientId: 'app' }),
  tokenIssued(),
  event('TokenRefreshed', {
    grantId: 'g-1',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read',
    previousRefreshTokenHash: h('b'),
    accessTokenHash: h('d'),
    accessExpiresAt: 1_764_007_200,
    refreshTokenHash: h('e'),
    refreshExpiresAt: 1_766_595_600,
  }),
  event('TokenRevoked', { grantId: 'g-1', clientId: 'app', reason: 'revocation_request' }),
];

describe('recordedAt', () => {
  it('is the unix second the event was recorded', () => {
    expect(recordedAt(recorded(SAMPLES[0]!))).toBe(OCCURRED_S);
    expect(OCCURRED_S).toBe(1_764_000_000);
  });
});

describe('projectors', () => {
  it('are all run, each under its own name', () => {
    expect(PROJECTORS.map((p) => p.name)).toEqual(['clients', 'users', 'scopes', 'codes', 'tokens']);
  });

  it.each([
    ['clients', ['ClientRegistered', 'ClientSecretRotated']],
    ['users', ['UserRegistered', 'UserPasswordChanged']],
    ['scopes', ['ScopeDefined', 'ScopeChanged']],
    ['codes', ['CodeIssued', 'CodeRedeemed', 'CodeReplayDetected']],
    ['tokens', ['TokenIssued', 'TokenRefreshed', 'TokenRevoked']],
  ] as const)('%s reacts to its events only and ignores the rest', (name, types) => {
    const projector = PROJECTORS.find((p) => p.name === name);
    if (!projector) throw new Error(`no projector named ${name}`);
    const reacting = SAMPLES.filter((e) => project(projector, e).length > 0).map((e) => e.type);
    expect(reacting).toEqual(types);
  });
});

describe('clientsProjector', () => {
  it('puts a registered client', () => {
    expect(project(clientsProjector, event('ClientRegistered', client))).toEqual([{ op: 'putClient', client }]);
  });

  it('sets a rotated secret', () => {
    expect(project(clientsProjector, event('ClientSecretRotated', { clientId: 'app', secretHash: 'scrypt$t' }))).toEqual([
      { op: 'setClientSecret', clientId: 'app', secretHash: 'scrypt$t' },
    ]);
  });
});

describe('usersProjector', () => {
  it('puts a registered user and sets a changed password', () => {
    const user = { userId: 'u-1', username: 'Alice', passwordHash: 'scrypt$p' };
    expect(project(usersProjector, event('UserRegistered', user))).toEqual([{ op: 'putUser', user }]);
    expect(project(usersProjector, event('UserPasswordChanged', { userId: 'u-1', passwordHash: 'scrypt$q' }))).toEqual([
      { op: 'setUserPassword', userId: 'u-1', passwordHash: 'scrypt$q' },
    ]);
  });
});

describe('scopesProjector', () => {
  it('puts a defined or changed scope', () => {
    const scope = { name: 'read', description: 'Read', isDefault: true };
    expect(project(scopesProjector, event('ScopeDefined', scope))).toEqual([{ op: 'putScope', scope }]);
    const changed = { ...scope, isDefault: false };
    expect(project(scopesProjector, event('ScopeChanged', changed))).toEqual([{ op: 'putScope', scope: changed }]);
  });
});

describe('codesProjector', () => {
  it('puts an issued code, not yet redeemed, with all that CodeIssued recorded', () => {
    const code = { hash: h('c'), grantId: 'g-1', clientId: 'app', userId: 'u-1', scope: 'read', expiresAt: 1_764_000_600 };
    const issued = { username: 'alice', redirectUri: 'https://app.example/cb', redirectUriProvided: true };
    expect(project(codesProjector, SAMPLES[7]!)).toEqual([{ op: 'putCode', code: { ...code, issued: { ...issued, codeChallenge: null } } }]);
    const withPkce = SAMPLES[7]! as Extract<DomainEvent, { type: 'CodeIssued' }>;
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    expect(project(codesProjector, { ...withPkce, data: { ...withPkce.data, codeChallenge: challenge, codeChallengeMethod: 'S256' } })).toEqual([
      { op: 'putCode', code: { ...code, issued: { ...issued, codeChallenge: challenge } } },
    ]);
  });

  it('marks the code redeemed on redemption and on a replay', () => {
    expect(project(codesProjector, SAMPLES[8]!)).toEqual([{ op: 'deleteCode', hash: h('c') }]);
    expect(project(codesProjector, SAMPLES[9]!)).toEqual([{ op: 'deleteCode', hash: h('c') }]);
  });
});

describe('tokensProjector', () => {
  const family = {
    grantId: 'g-1',
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read write',
    issuedAt: OCCURRED_S,
  };

  /** What an access token's row, or a refresh token's row that cannot tell its family's state, records of it. */
  const unknown = { grantRevision: null, grantedScope: null };

  it('puts the access and the refresh token of a TokenIssued, both active; the refresh row records the family as issued', () => {
    expect(project(tokensProjector, tokenIssued())).toEqual([
      { op: 'putToken', token: { ...family, ...unknown, hash: h('a'), kind: 'access', status: 'active', expiresAt: 1_764_003_600 } },
      {
        op: 'putToken',
        token: { ...family, grantRevision: 0, grantedScope: 'read write', hash: h('b'), kind: 'refresh', status: 'active', expiresAt: 1_766_592_000 },
      },
    ]);
  });

  it('puts only the access token of a TokenIssued without refresh token', () => {
    const e = tokenIssued({
      grantType: 'client_credentials',
      userId: null,
      username: null,
      refreshTokenHash: null,
      refreshExpiresAt: null,
      codeHash: undefined,
    });
    expect(project(tokensProjector, e)).toEqual([
      {
        op: 'putToken',
        token: { ...family, ...unknown, userId: null, username: null, hash: h('a'), kind: 'access', status: 'active', expiresAt: 1_764_003_600 },
      },
    ]);
  });

  it('puts the two new tokens on TokenRefreshed, and leaves the rotated one as it was', () => {
    const refreshedFamily = { ...family, ...unknown, scope: 'read' };
    // An earlier version's rotation, without grantedScope: its family's scope is in older events.
    expect(project(tokensProjector, SAMPLES[11]!, 4n)).toEqual([
      { op: 'putToken', token: { ...refreshedFamily, hash: h('d'), kind: 'access', status: 'active', expiresAt: 1_764_007_200 } },
      { op: 'putToken', token: { ...refreshedFamily, hash: h('e'), kind: 'refresh', status: 'active', expiresAt: 1_766_595_600 } },
    ]);
    // With it, the new refresh token's row records the rotation's revision and the granted scope.
    const rotation = SAMPLES[11]! as Extract<DomainEvent, { type: 'TokenRefreshed' }>;
    const [, refreshRow] = project(tokensProjector, { ...rotation, data: { ...rotation.data, grantedScope: 'read write' } }, 4n);
    expect(refreshRow).toEqual({
      op: 'putToken',
      token: { ...refreshedFamily, grantRevision: 4, grantedScope: 'read write', hash: h('e'), kind: 'refresh', status: 'active', expiresAt: 1_766_595_600 },
    });
  });

  it('revokes one token when TokenRevoked names it', () => {
    const e = event('TokenRevoked', { grantId: 'g-1', clientId: 'app', reason: 'revocation_request', tokenHash: h('a') });
    expect(project(tokensProjector, e)).toEqual([{ op: 'deleteToken', hash: h('a') }]);
  });

  it('revokes the whole grant when TokenRevoked names no token', () => {
    for (const reason of ['revocation_request', 'code_replay', 'refresh_token_reuse'] as const) {
      const e = event('TokenRevoked', { grantId: 'g-1', clientId: 'app', reason });
      expect(project(tokensProjector, e)).toEqual([{ op: 'revokeGrant', grantId: 'g-1' }]);
    }
  });
});
