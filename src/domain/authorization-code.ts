import { OAuthError } from './errors.js';
import { type DomainEvent, type EventData, event } from './events.js';

export type CodeState =
  | { status: 'unknown' }
  | { status: 'issued' | 'redeemed'; issued: EventData<'CodeIssued'> };

export const initialCode: CodeState = { status: 'unknown' };

export function codeStream(codeHash: string): string {
  return `code-${codeHash}`;
}

export function evolveCode(state: CodeState, e: DomainEvent): CodeState {
  switch (e.type) {
    case 'CodeIssued':
      return { status: 'issued', issued: e.data };
    case 'CodeRedeemed':
    case 'CodeReplayDetected':
      return state.status === 'unknown' ? state : { status: 'redeemed', issued: state.issued };
    default:
      return state;
  }
}

export interface RedeemRequest {
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  /** SHA-256 of the verifier, base64url: the S256 transform, computed by the caller. */
  verifierChallenge: string | undefined;
  now: number;
}

/**
 * RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters. A shorter one has too little
 * entropy to protect the code, even when its S256 matches the challenge.
 */
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export type RedeemDecision =
  | { outcome: 'redeemed'; events: DomainEvent[]; issued: EventData<'CodeIssued'> }
  /** A second use: record it, revoke what the code issued (RFC 6749 §4.1.2), answer invalid_grant. */
  | { outcome: 'replayed'; events: DomainEvent[]; grantId: string; clientId: string };

export function decideRedeemCode(state: CodeState, req: RedeemRequest): RedeemDecision {
  if (state.status === 'unknown') throw new OAuthError('invalid_grant', 'authorization code is invalid');
  const issued = state.issued;
  if (issued.clientId !== req.clientId) {
    throw new OAuthError('invalid_grant', 'authorization code was issued to another client');
  }
  if (state.status === 'redeemed') {
    const { codeHash, grantId, clientId } = issued;
    return { outcome: 'replayed', events: [event('CodeReplayDetected', { codeHash, grantId, clientId })], grantId, clientId };
  }
  if (req.now >= issued.expiresAt) throw new OAuthError('invalid_grant', 'authorization code has expired');
  if (issued.redirectUriProvided ? req.redirectUri !== issued.redirectUri : req.redirectUri !== undefined && req.redirectUri !== issued.redirectUri) {
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  }
  if (issued.codeChallenge !== undefined) {
    if (req.codeVerifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required');
    if (!PKCE_VERIFIER.test(req.codeVerifier)) {
      throw new OAuthError('invalid_request', 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)');
    }
    if (req.verifierChallenge !== issued.codeChallenge) throw new OAuthError('invalid_grant', 'code_verifier does not match');
  } else if (req.codeVerifier !== undefined) {
    throw new OAuthError('invalid_grant', 'code_verifier sent for a code issued without code_challenge');
  }
  const { codeHash, grantId, clientId } = issued;
  return { outcome: 'redeemed', events: [event('CodeRedeemed', { codeHash, grantId, clientId })], issued };
}
