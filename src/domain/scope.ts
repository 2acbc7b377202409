import { OAuthError } from './errors.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export interface ScopeDefinition {
  name: string;
  isDefault: boolean;
}

export interface ScopeRequest {
  /** The scope parameter as sent; undefined or empty means "the defaults". */
  requested: string | undefined;
  defined: readonly ScopeDefinition[];
  /** Scopes the client may have; null for any defined scope. */
  allowed: readonly string[] | null;
  /** IGNORE_CLIENT_REQUESTED_SCOPE: grant the defaults whatever was asked. */
  ignoreRequested: boolean;
}

export function isScopeToken(word: string): boolean {
  return SCOPE_TOKEN.test(word);
}

export function parseScope(scope: string): string[] {
  const words = scope.split(' ');
  if (words.some((w) => !SCOPE_TOKEN.test(w))) {
    throw new OAuthError('invalid_scope', 'scope must be space-delimited scope tokens');
  }
  return [...new Set(words)];
}

/** Decides the scope of a new grant, or fails with invalid_scope. */
export function resolveScope({ requested, defined, allowed, ignoreRequested }: ScopeRequest): string[] {
  const mayHave = (name: string) => allowed === null || allowed.includes(name);
  if (ignoreRequested || requested === undefined || requested === '') {
    const defaults = defined.filter((s) => s.isDefault && mayHave(s.name)).map((s) => s.name);
    if (defaults.length === 0) throw new OAuthError('invalid_scope', 'no scope requested and no default scope applies');
    return defaults;
  }
  const names = parseScope(requested);
  const known = new Set(defined.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `unknown scope: ${unknown.join(' ')}`);
  const refused = names.filter((n) => !mayHave(n));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
  return names;
}

/** Refreshing may narrow the scope of a grant, never widen it beyond what was first granted. */
export function narrowScope(requested: string | undefined, granted: string): string {
  if (requested === undefined || requested === '') return granted;
  const grantedWords = new Set(granted.split(' '));
  const names = parseScope(requested);
  const extra = names.filter((n) => !grantedWords.has(n));
  if (extra.length > 0) throw new OAuthError('invalid_scope', `scope exceeds the original grant: ${extra.join(' ')}`);
  return names.join(' ');
}

/** A required scope matches a whole word of the token's scope, never a substring. */
export function hasScope(tokenScope: string, required: string): boolean {
  return tokenScope.split(' ').includes(required);
}
