import { describe, expect, it } from 'vitest';
import { hasScope, narrowScope, parseScope, resolveScope, type ScopeDefinition } from '../../src/domain/scope.js';
import { oauthError } from '../support/oauth-error.js';

describe('parseScope', () => {
  it('splits space-delimited scope tokens', () => {
    expect(parseScope('read')).toEqual(['read']);
    expect(parseScope('read write admin:all')).toEqual(['read', 'write', 'admin:all']);
  });

  it('accepts every printable character RFC 6749 §3.3 allows', () => {
    expect(parseScope('!#[]~ a/b https://x.example/y?z=1')).toEqual(['!#[]~', 'a/b', 'https://x.example/y?z=1']);
  });

  it('drops duplicates, keeping first-seen order', () => {
    expect(parseScope('write read write read')).toEqual(['write', 'read']);
  });

  it.each([
    ['a double quote', 'read "write"'],
    ['a backslash', 'read\\write'],
    ['a double space', 'read  write'],
    ['a leading space', ' read'],
    ['a trailing space', 'read '],
    ['a tab', 'read\twrite'],
    ['a non-ASCII character', 'lecture-é'],
    ['an empty string', ''],
  ])('refuses %s with invalid_scope', (_label, scope) => {
    const err = oauthError(() => parseScope(scope));
    expect(err.code).toBe('invalid_scope');
    expect(err.status).toBe(400);
  });
});

describe('resolveScope', () => {
  const defined: ScopeDefinition[] = [
    { name: 'read', isDefault: true },
    { name: 'profile', isDefault: true },
    { name: 'write', isDefault: false },
    { name: 'foo', isDefault: false },
  ];
  const base = { defined, allowed: null, ignoreRequested: false };

  it('grants the defaults when scope is omitted or empty', () => {
    expect(resolveScope({ ...base, requested: undefined })).toEqual(['read', 'profile']);
    expect(resolveScope({ ...base, requested: '' })).toEqual(['read', 'profile']);
  });

  it('grants what was asked when every scope is defined and allowed', () => {
    expect(resolveScope({ ...base, requested: 'write read' })).toEqual(['write', 'read']);
    expect(resolveScope({ ...base, requested: 'write write' })).toEqual(['write']);
  });

  it('grants the defaults whatever was asked when told to ignore the request', () => {
    const ignoring = { ...base, ignoreRequested: true };
    expect(resolveScope({ ...ignoring, requested: 'write' })).toEqual(['read', 'profile']);
    expect(resolveScope({ ...ignoring, requested: 'no-such-scope' })).toEqual(['read', 'profile']);
    expect(resolveScope({ ...ignoring, requested: undefined })).toEqual(['read', 'profile']);
  });

  it('refuses an unknown scope, naming it', () => {
    const err = oauthError(() => resolveScope({ ...base, requested: 'read nope' }));
    expect(err.code).toBe('invalid_scope');
    expect(err.description).toContain('nope');
    expect(err.description).toMatch(/unknown/);
  });

  it('refuses a malformed scope parameter', () => {
    expect(oauthError(() => resolveScope({ ...base, requested: 'read  write' })).code).toBe('invalid_scope');
  });

  it('is case-sensitive: FOO is not foo', () => {
    const err = oauthError(() => resolveScope({ ...base, requested: 'FOO' }));
    expect(err.code).toBe('invalid_scope');
    expect(err.description).toContain('FOO');
    expect(resolveScope({ ...base, requested: 'foo' })).toEqual(['foo']);
  });

  describe('with a client limited to some scopes', () => {
    const limited = { ...base, allowed: ['read', 'write'] };

    it('grants the allowed scopes it asks for', () => {
      expect(resolveScope({ ...limited, requested: 'write' })).toEqual(['write']);
    });

    it('refuses a defined scope the client may not have, naming it', () => {
      const err = oauthError(() => resolveScope({ ...limited, requested: 'read foo' }));
      expect(err.code).toBe('invalid_scope');
      expect(err.description).toMatch(/not allowed/);
      expect(err.description).toContain('foo');
    });

    it('gives only the defaults the client is allowed', () => {
      expect(resolveScope({ ...limited, requested: undefined })).toEqual(['read']);
      expect(resolveScope({ ...limited, requested: 'foo', ignoreRequested: true })).toEqual(['read']);
    });

    it('refuses when none of the defaults is allowed', () => {
      const err = oauthError(() => resolveScope({ ...base, allowed: ['write'], requested: undefined }));
      expect(err.code).toBe('invalid_scope');
      expect(err.description).toMatch(/default/);
    });

    it('an empty allow-list refuses everything', () => {
      expect(oauthError(() => resolveScope({ ...base, allowed: [], requested: 'read' })).code).toBe('invalid_scope');
    });
  });

  it('refuses an omitted scope when no default scope is defined', () => {
    const noDefaults = defined.map((d) => ({ ...d, isDefault: false }));
    const err = oauthError(() => resolveScope({ ...base, defined: noDefaults, requested: undefined }));
    expect(err.code).toBe('invalid_scope');
    expect(oauthError(() => resolveScope({ ...base, defined: [], requested: '' })).code).toBe('invalid_scope');
    expect(
      oauthError(() => resolveScope({ ...base, defined: noDefaults, requested: 'write', ignoreRequested: true })).code,
    ).toBe('invalid_scope');
  });
});

describe('narrowScope', () => {
  const granted = 'read write profile';

  it('keeps the original scope when none is asked', () => {
    expect(narrowScope(undefined, granted)).toBe(granted);
    expect(narrowScope('', granted)).toBe(granted);
  });

  it('narrows to a subset of the grant', () => {
    expect(narrowScope('read', granted)).toBe('read');
    expect(narrowScope('profile read', granted)).toBe('profile read');
    expect(narrowScope(granted, granted)).toBe(granted);
  });

  it('refuses to widen beyond the grant, naming the extra scope', () => {
    const err = oauthError(() => narrowScope('read admin', granted));
    expect(err.code).toBe('invalid_scope');
    expect(err.description).toContain('admin');
    expect(err.description).not.toContain('read');
  });

  it('does not let a substring of a granted word through', () => {
    expect(oauthError(() => narrowScope('rea', granted)).code).toBe('invalid_scope');
    expect(oauthError(() => narrowScope('read write profile x', granted)).code).toBe('invalid_scope');
  });

  it('refuses a malformed scope parameter', () => {
    expect(oauthError(() => narrowScope('read\\', granted)).code).toBe('invalid_scope');
  });
});

describe('hasScope', () => {
  it('matches a whole word of the token scope', () => {
    expect(hasScope('foo', 'foo')).toBe(true);
    expect(hasScope('read foo write', 'foo')).toBe(true);
    expect(hasScope('read write foo', 'foo')).toBe(true);
  });

  it('never matches a substring', () => {
    expect(hasScope('foobar', 'foo')).toBe(false);
    expect(hasScope('xfoo', 'foo')).toBe(false);
    expect(hasScope('read foobar xfoo', 'foo')).toBe(false);
    expect(hasScope('foo', 'fo')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(hasScope('read FOO', 'foo')).toBe(false);
  });

  it('finds nothing in an empty scope', () => {
    expect(hasScope('', 'foo')).toBe(false);
  });
});
