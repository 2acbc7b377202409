import { type DomainEvent, event } from './events.js';

/**
 * Remembered consent: what a user has allowed a client, on the stream `consent-<userId>-<clientId>`.
 *
 * Each ConsentGranted carries the whole remembered set after the user's answer, so the state is
 * the last such event (or nothing after a ConsentRevoked). That set is, per scope, the user's
 * latest answer: what was remembered before, plus what the user allowed now, minus what the user
 * was shown now and unticked. A plain union would keep a scope the user has just refused and grant
 * it silently next time; "only what was allowed now" would forget scopes a narrower request never
 * asked about and ask again for them.
 */
export interface ConsentState {
  /** Sorted; empty when nothing is remembered. */
  scopes: readonly string[];
}

export const initialConsent: ConsentState = { scopes: [] };

export function consentStream(userId: string, clientId: string): string {
  return `consent-${userId}-${clientId}`;
}

const words = (scope: string) => scope.split(' ').filter(Boolean);

export function evolveConsent(state: ConsentState, e: DomainEvent): ConsentState {
  switch (e.type) {
    case 'ConsentGranted':
      return { scopes: [...new Set(words(e.data.scope))].sort() };
    case 'ConsentRevoked':
      return initialConsent;
    default:
      return state;
  }
}

/** Whether the remembered consent covers every requested scope, so that the page can be skipped. */
export function coversScopes(state: ConsentState, requested: readonly string[]): boolean {
  return requested.length > 0 && requested.every((s) => state.scopes.includes(s));
}

export interface ConsentAnswer {
  userId: string;
  clientId: string;
  /** The scopes the consent page showed. */
  asked: readonly string[];
  /** The scopes the user left ticked and allowed; only those also asked count. */
  allowed: readonly string[];
}

/** Allow on the consent page: remembers the user's latest answer for each scope shown. */
export function decideGrantConsent(state: ConsentState, answer: ConsentAnswer): DomainEvent[] {
  const asked = new Set(answer.asked);
  const allowed = new Set(answer.allowed.filter((s) => asked.has(s)));
  // Allowing nothing is a denial, and a denial records nothing.
  if (allowed.size === 0) return [];
  const next = [...new Set([...state.scopes, ...allowed])].filter((s) => allowed.has(s) || !asked.has(s)).sort();
  if (next.length === state.scopes.length && next.every((s, i) => s === state.scopes[i])) return [];
  return [event('ConsentGranted', { userId: answer.userId, clientId: answer.clientId, scope: next.join(' ') })];
}

/** `oauth2 users revoke-consent`: the next authorization asks again. Nothing to do when nothing is remembered. */
export function decideRevokeConsent(state: ConsentState, ids: { userId: string; clientId: string }): DomainEvent[] {
  return state.scopes.length === 0 ? [] : [event('ConsentRevoked', { userId: ids.userId, clientId: ids.clientId })];
}

export interface ConsentContext {
  /** The client has a secret, which it must present to exchange a code. */
  confidential: boolean;
  responseType: 'code' | 'token';
  redirectUri: string;
}

/**
 * Remembered consent is used only when the client's identity is assured (RFC 6749 §10.2,
 * RFC 8252 §8.6): a code for a confidential client is worthless without its secret, and an https
 * redirect URI (matched exactly) delivers the answer only to the origin that owns it. A public
 * client redirecting to a loopback, plain-http or custom-scheme URI can be impersonated by any
 * program on the device, so the person is asked every time (and nothing is remembered for it).
 */
export function consentMayBeRemembered(c: ConsentContext): boolean {
  if (c.responseType === 'code' && c.confidential) return true;
  try {
    return new URL(c.redirectUri).protocol === 'https:';
  } catch {
    return false;
  }
}
