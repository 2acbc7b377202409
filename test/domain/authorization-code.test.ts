import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/aggregate.js';
import {
  type CodeState,
  codeStream,
  decideRedeemCode,
  evolveCode,
  initialCode,
  type RedeemRequest,
} from '../../src/domain/authorization-code.js';
import { OAuthError } from '../../src/domain/errors.js';
import { type DomainEvent, type EventData, event } from '../../src/domain/events.js';

const CODE_HASH = 'c'.repeat(64);
const NOW = 1_764_000_000;
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

const issued = (over: Partial<EventData<'CodeIssued'>> = {}): EventData<'CodeIssued'> => ({
  codeHash: CODE_HASH,
  grantId: 'grant-1',
  clientId: 'app',
  userId: 'u-1',
  username: 'alice',
  redirectUri: 'https://app.example/cb',
  redirectUriProvided: true,
  scope: 'read',
  expiresAt: NOW + 600,
  ...over,
});

const stateOf = (...events: DomainEvent[]): CodeState => fold(evolveCode, initialCode, events);
const issuedState = (over: Partial<EventData<'CodeIssued'>> = {}) => stateOf(event('CodeIssued', issued(over)));

const request = (over: Partial<RedeemRequest> = {}): RedeemRequest => ({
  clientId: 'app',
  redirectUri: 'https://app.example/cb',
  codeVerifier: undefined,
  verifierChallenge: undefined,
  now: NOW,
  ...over,
});

function invalidGrant(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).code).toBe('invalid_grant');
    return (error as OAuthError).description;
  }
  throw new Error('expected invalid_grant, nothing was thrown');
}

describe('codeStream', () => {
  it('names the stream after the code hash', () => {
    expect(codeStream(CODE_HASH)).toBe(`code-${CODE_HASH}`);
  });
});

describe('evolveCode', () => {
  it('starts unknown and stays unknown without CodeIssued', () => {
    expect(stateOf()).toEqual({ status: 'unknown' });
    expect(stateOf(event('CodeRedeemed', { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' }))).toEqual({
      status: 'unknown',
    });
  });

  it('is issued after CodeIssued, carrying what was issued', () => {
    expect(issuedState()).toEqual({ status: 'issued', issued: issued() });
  });

  it('is redeemed after CodeRedeemed, and stays redeemed after a replay', () => {
    const redeemed = event('CodeRedeemed', { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' });
    const replay = event('CodeReplayDetected', { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' });
    const issue = event('CodeIssued', issued());
    expect(stateOf(issue, redeemed)).toEqual({ status: 'redeemed', issued: issued() });
    expect(stateOf(issue, redeemed, replay)).toEqual({ status: 'redeemed', issued: issued() });
  });

  it('ignores events of other aggregates', () => {
    const s = issuedState();
    expect(evolveCode(s, event('ScopeDefined', { name: 'read', description: '', isDefault: true }))).toBe(s);
  });
});

describe('decideRedeemCode', () => {
  it('redeems a valid code once, with a CodeRedeemed event', () => {
    const decision = decideRedeemCode(issuedState(), request());
    expect(decision).toEqual({
      outcome: 'redeemed',
      events: [{ type: 'CodeRedeemed', data: { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' } }],
      issued: issued(),
    });
  });

  it('refuses an unknown code', () => {
    expect(invalidGrant(() => decideRedeemCode(initialCode, request()))).toMatch(/invalid/);
  });

  it('refuses a code issued to another client', () => {
    expect(invalidGrant(() => decideRedeemCode(issuedState(), request({ clientId: 'other' })))).toMatch(
      /another client/,
    );
  });

  it('does not let another client trigger the replay response', () => {
    const used = stateOf(
      event('CodeIssued', issued()),
      event('CodeRedeemed', { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' }),
    );
    expect(invalidGrant(() => decideRedeemCode(used, request({ clientId: 'other' })))).toMatch(/another client/);
  });

  it('refuses an expired code: now at or after expiresAt', () => {
    const s = issuedState();
    expect(decideRedeemCode(s, request({ now: NOW + 599 })).outcome).toBe('redeemed');
    expect(invalidGrant(() => decideRedeemCode(s, request({ now: NOW + 600 })))).toMatch(/expired/);
    expect(invalidGrant(() => decideRedeemCode(s, request({ now: NOW + 601 })))).toMatch(/expired/);
  });

  describe('redirect_uri', () => {
    it('is required, and must be equal, when the authorization request named it', () => {
      const s = issuedState({ redirectUriProvided: true });
      expect(decideRedeemCode(s, request()).outcome).toBe('redeemed');
      expect(invalidGrant(() => decideRedeemCode(s, request({ redirectUri: undefined })))).toMatch(/redirect_uri/);
      expect(
        invalidGrant(() => decideRedeemCode(s, request({ redirectUri: 'https://app.example/cb2' }))),
      ).toMatch(/redirect_uri/);
      expect(
        invalidGrant(() => decideRedeemCode(s, request({ redirectUri: 'https://app.example/cb/' }))),
      ).toMatch(/redirect_uri/);
    });

    it('may be absent, or equal to the effective one, when the authorization request did not name it', () => {
      const s = issuedState({ redirectUriProvided: false });
      expect(decideRedeemCode(s, request({ redirectUri: undefined })).outcome).toBe('redeemed');
      expect(decideRedeemCode(s, request({ redirectUri: 'https://app.example/cb' })).outcome).toBe('redeemed');
      expect(invalidGrant(() => decideRedeemCode(s, request({ redirectUri: 'https://evil.example/cb' })))).toMatch(
        /redirect_uri/,
      );
    });
  });

  describe('PKCE', () => {
    const withChallenge = issuedState({ codeChallenge: s256(VERIFIER), codeChallengeMethod: 'S256' });

    it('redeems when the S256 of the verifier matches the challenge', () => {
      // RFC 7636 appendix B: this verifier's S256 challenge.
      expect(s256(VERIFIER)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      const d = decideRedeemCode(withChallenge, request({ codeVerifier: VERIFIER, verifierChallenge: s256(VERIFIER) }));
      expect(d.outcome).toBe('redeemed');
    });

    it('refuses a verifier that does not match', () => {
      const other = `${VERIFIER}x`;
      expect(
        invalidGrant(() => decideRedeemCode(withChallenge, request({ codeVerifier: other, verifierChallenge: s256(other) }))),
      ).toMatch(/does not match/);
    });

    it('refuses, as a malformed request, a verifier outside RFC 7636 §4.1 even when its S256 matches', () => {
      const malformed = ['short-verifier', 'a'.repeat(129), `${'a'.repeat(42)}+`, `${'a'.repeat(42)}=`, `${'a'.repeat(42)} `];
      for (const verifier of malformed) {
        const state = issuedState({ codeChallenge: s256(verifier), codeChallengeMethod: 'S256' });
        let error: unknown;
        try {
          decideRedeemCode(state, request({ codeVerifier: verifier, verifierChallenge: s256(verifier) }));
        } catch (e) {
          error = e;
        }
        expect(error, verifier).toBeInstanceOf(OAuthError);
        expect((error as OAuthError).code, verifier).toBe('invalid_request');
      }
      // The bounds and every unreserved character are accepted.
      for (const verifier of ['a'.repeat(43), 'a'.repeat(128), `${'A'.repeat(39)}-._~`]) {
        const state = issuedState({ codeChallenge: s256(verifier), codeChallengeMethod: 'S256' });
        expect(decideRedeemCode(state, request({ codeVerifier: verifier, verifierChallenge: s256(verifier) })).outcome).toBe('redeemed');
      }
    });

    it('refuses a missing verifier when the code has a challenge', () => {
      expect(invalidGrant(() => decideRedeemCode(withChallenge, request()))).toMatch(/code_verifier is required/);
    });

    it('refuses a verifier for a code issued without a challenge', () => {
      expect(
        invalidGrant(() => decideRedeemCode(issuedState(), request({ codeVerifier: VERIFIER, verifierChallenge: s256(VERIFIER) }))),
      ).toMatch(/without code_challenge/);
    });
  });

  describe('a second redemption', () => {
    const used = stateOf(
      event('CodeIssued', issued()),
      event('CodeRedeemed', { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' }),
    );
    const replayed = {
      outcome: 'replayed',
      events: [{ type: 'CodeReplayDetected', data: { codeHash: CODE_HASH, grantId: 'grant-1', clientId: 'app' } }],
      grantId: 'grant-1',
      clientId: 'app',
    };

    it('is a replay, recorded with CodeReplayDetected and naming the grant to revoke', () => {
      expect(decideRedeemCode(used, request())).toEqual(replayed);
    });

    it('is a replay even after expiry and whatever redirect_uri or verifier is sent', () => {
      expect(
        decideRedeemCode(used, request({ now: NOW + 10_000, redirectUri: undefined, codeVerifier: 'x', verifierChallenge: 'y' })),
      ).toEqual(replayed);
    });

    it('is a replay again after an earlier replay was recorded', () => {
      const twice = fold(evolveCode, used, [replayed.events[0] as DomainEvent]);
      expect(decideRedeemCode(twice, request()).outcome).toBe('replayed');
    });
  });
});
