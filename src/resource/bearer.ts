import type { FastifyReply } from 'fastify';
import { hasScope } from '../domain/scope.js';

/** What a validator says about a bearer token; the same shape whether it asked the server or the read models. */
export type ActiveToken = {
  active: true;
  scope: string;
  clientId: string;
  username?: string;
  /** The user id, or the client id for a token without a user (client credentials). */
  sub: string;
  /** Seconds since the epoch. */
  exp: number;
};
export type TokenValidation = ActiveToken | { active: false };

/** Validates a bearer token. Throws when it cannot tell (the authorization server did not answer). */
export type ValidateToken = (token: string) => Promise<TokenValidation>;

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export type BearerHeader = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

export function parseBearer(header: string | undefined): BearerHeader {
  if (header === undefined) return { kind: 'missing' };
  const match = BEARER.exec(header);
  return match ? { kind: 'token', token: match[1]! } : { kind: 'malformed' };
}

/** An RFC 6750 §3 error answer; without `error` the challenge carries no error code (§3.1). */
export interface Challenge {
  status: 400 | 401 | 403 | 503;
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';
  description: string;
  scope?: string;
}

export const CHALLENGES = {
  missing: { status: 401, description: 'a bearer token is required' },
  malformed: { status: 400, error: 'invalid_request', description: 'the Authorization header is not a bearer token' },
  inactive: { status: 401, error: 'invalid_token', description: 'the access token is invalid, expired or revoked' },
  unavailable: {
    status: 503,
    error: 'temporarily_unavailable',
    description: 'the access token cannot be validated now; try again',
  },
} as const satisfies Record<string, Challenge>;

export function insufficientScope(scope: string): Challenge {
  return { status: 403, error: 'insufficient_scope', description: `the access token lacks the ${scope} scope`, scope };
}

/** The `WWW-Authenticate` value for a challenge; the values are ours (scope tokens exclude `"` and `\`). */
export function challengeHeader(realm: string, c: Challenge): string {
  const params = [`realm="${realm}"`];
  if (c.error) params.push(`error="${c.error}"`);
  params.push(`error_description="${c.description}"`);
  if (c.scope) params.push(`scope="${c.scope}"`);
  return `Bearer ${params.join(', ')}`;
}

/** Sends a challenge as the server's guard does; a 503 is no challenge, so it gets no `WWW-Authenticate`. */
export function sendChallenge(reply: FastifyReply, realm: string, c: Challenge): FastifyReply {
  if (c.status !== 503) reply.header('WWW-Authenticate', challengeHeader(realm, c));
  return reply
    .header('Cache-Control', 'no-store')
    .code(c.status)
    .send({ error: c.error ?? 'invalid_token', error_description: c.description });
}

export type BearerOutcome = { ok: true; token: ActiveToken } | { ok: false; challenge: Challenge; cause?: unknown };

/**
 * Checks an Authorization header: a bearer token the validator finds active and, if a scope is
 * named, that scope as a whole word of the token's scope. A validator that throws gives a 503
 * outcome (with the cause, to log), never a 401: the token may well be fine.
 */
export async function checkBearer(validate: ValidateToken, header: string | undefined, scope?: string): Promise<BearerOutcome> {
  const parsed = parseBearer(header);
  if (parsed.kind !== 'token') return { ok: false, challenge: CHALLENGES[parsed.kind] };
  let result: TokenValidation;
  try {
    result = await validate(parsed.token);
  } catch (cause) {
    return { ok: false, challenge: CHALLENGES.unavailable, cause };
  }
  if (!result.active) return { ok: false, challenge: CHALLENGES.inactive };
  if (scope !== undefined && !hasScope(result.scope, scope)) return { ok: false, challenge: insufficientScope(scope) };
  return { ok: true, token: result };
}
