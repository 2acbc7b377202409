import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/aggregate.js';
import {
  DomainConflict,
  decideRegisterClient,
  evolveClient,
  initialClient,
  validateRedirectUris,
} from '../../src/domain/client.js';
import { OAuthError } from '../../src/domain/errors.js';
import { type DomainEvent, type EventData, event } from '../../src/domain/events.js';
import { decideDefineScope, evolveScopeDefinition } from '../../src/domain/scope-definition.js';
import { decideClaimUsername, decideRegisterUser, usernameStream } from '../../src/domain/user.js';

const registration = (over: Partial<EventData<'ClientRegistered'>> = {}): EventData<'ClientRegistered'> => ({
  clientId: 'app',
  name: 'The App',
  secretHash: 'scrypt$abc',
  redirectUris: ['https://app.example/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  allowedScopes: null,
  resourceServer: false,
  ...over,
});

function invalidRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).code).toBe('invalid_request');
    return (error as OAuthError).description;
  }
  throw new Error('expected invalid_request, nothing was thrown');
}

describe('client', () => {
  it('registers a new client with one ClientRegistered event', () => {
    expect(decideRegisterClient(initialClient, registration())).toEqual([
      { type: 'ClientRegistered', data: registration() },
    ]);
  });

  it('folds registration and secret rotation', () => {
    const s = fold(evolveClient, initialClient, [
      event('ClientRegistered', registration()),
      event('ClientSecretRotated', { clientId: 'app', secretHash: 'scrypt$new' }),
    ]);
    expect(s).toEqual({ registered: true, secretHash: 'scrypt$new' });
  });

  it('refuses to register a client id twice with DomainConflict', () => {
    const s = fold(evolveClient, initialClient, [event('ClientRegistered', registration())]);
    expect(() => decideRegisterClient(s, registration({ name: 'Again' }))).toThrow(DomainConflict);
    expect(() => decideRegisterClient(s, registration())).toThrow(/app already exists/);
  });

  it('registers a public client, and one with no redirect URI', () => {
    expect(decideRegisterClient(initialClient, registration({ secretHash: null, redirectUris: [] }))).toHaveLength(1);
  });

  it.each(['/cb', 'app.example/cb', 'cb', ''])('refuses a relative redirect URI %j', (uri) => {
    expect(invalidRequest(() => decideRegisterClient(initialClient, registration({ redirectUris: [uri] })))).toMatch(
      /absolute/,
    );
  });

  it.each(['https://app.example/cb#frag', 'https://app.example/cb#'])('refuses a redirect URI with a fragment %j', (uri) => {
    expect(
      invalidRequest(() =>
        decideRegisterClient(initialClient, registration({ redirectUris: ['https://app.example/ok', uri] })),
      ),
    ).toMatch(/fragment/);
  });

  it('accepts absolute URIs with a query and a private-use scheme', () => {
    expect(() =>
      validateRedirectUris(['https://app.example/cb?x=1', 'http://127.0.0.1:8080/cb', 'com.example.app:/oauth']),
    ).not.toThrow();
  });
});

describe('user', () => {
  it('claims a username on its lowercased stream', () => {
    expect(usernameStream('Alice')).toBe('username-alice');
    expect(usernameStream('ALICE')).toBe(usernameStream('alice'));
  });

  it('claims a free username', () => {
    expect(decideClaimUsername([], { username: 'Alice', userId: 'u-1' })).toEqual([
      { type: 'UsernameClaimed', data: { username: 'Alice', userId: 'u-1' } },
    ]);
  });

  it('refuses a taken username with DomainConflict', () => {
    const claims: DomainEvent[] = [event('UsernameClaimed', { username: 'alice', userId: 'u-1' })];
    expect(() => decideClaimUsername(claims, { username: 'ALICE', userId: 'u-2' })).toThrow(DomainConflict);
    expect(() => decideClaimUsername(claims, { username: 'ALICE', userId: 'u-2' })).toThrow(/taken/);
  });

  it('registers a user', () => {
    const data = { userId: 'u-1', username: 'alice', passwordHash: 'scrypt$pw' };
    expect(decideRegisterUser(data)).toEqual([{ type: 'UserRegistered', data }]);
  });

  it.each(['', '   ', ' alice', 'alice '])('refuses the username %j', (username) => {
    expect(() => decideRegisterUser({ userId: 'u-1', username, passwordHash: 'scrypt$pw' })).toThrow(DomainConflict);
  });
});

describe('scope definition', () => {
  const read = { name: 'read', description: 'Read your data', isDefault: true };

  it('defines a new scope with ScopeDefined', () => {
    expect(decideDefineScope(null, read)).toEqual([{ type: 'ScopeDefined', data: read }]);
  });

  it('records nothing when the scope exists with the same values', () => {
    expect(decideDefineScope(read, { ...read })).toEqual([]);
  });

  it('records ScopeChanged when the description or the default flag changes', () => {
    const described = { ...read, description: 'Read everything' };
    expect(decideDefineScope(read, described)).toEqual([{ type: 'ScopeChanged', data: described }]);
    const nonDefault = { ...read, isDefault: false };
    expect(decideDefineScope(read, nonDefault)).toEqual([{ type: 'ScopeChanged', data: nonDefault }]);
  });

  it('folds to the latest definition', () => {
    const changed = { ...read, isDefault: false };
    const s = fold(evolveScopeDefinition, null, [event('ScopeDefined', read), event('ScopeChanged', changed)]);
    expect(s).toEqual(changed);
    expect(decideDefineScope(s, changed)).toEqual([]);
  });

  it.each(['', 'two words', 'quote"', 'read  write'])('refuses a name that is not one scope token: %j', (name) => {
    expect(() => decideDefineScope(null, { ...read, name })).toThrow();
  });

  it('refuses a name made of one token repeated ("read read" is not a single scope token)', () => {
    expect(() => decideDefineScope(null, { ...read, name: 'read read' })).toThrow();
  });
});
