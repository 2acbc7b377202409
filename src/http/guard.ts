import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { activeAccessToken } from '../commands/validate-token.js';
import { hasScope } from '../domain/scope.js';
import { CHALLENGES, insufficientScope, parseBearer, sendChallenge } from '../resource/bearer.js';
import type { ReadStore, TokenView } from '../store/read-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The access token a guarded route was called with. */
    token?: TokenView;
  }
}

/**
 * The seed's `authentication_required(scope)` guard as a fastify preHandler: a live bearer
 * token (RFC 6750 §2.1), and if a scope is named, that scope as a whole word of the token's
 * scope. Errors are RFC 6750 §3 challenges, the same the resource-service validator sends.
 */
export function authenticationRequired(
  reads: ReadStore,
  scope?: string,
  now: () => number = () => Math.floor(Date.now() / 1000),
): preHandlerAsyncHookHandler {
  return async function guard(req: FastifyRequest, reply: FastifyReply) {
    const bearer = parseBearer(req.headers.authorization);
    if (bearer.kind !== 'token') return sendChallenge(reply, 'oauth2', CHALLENGES[bearer.kind]);
    const token = await activeAccessToken(reads, bearer.token, now());
    if (!token) return sendChallenge(reply, 'oauth2', CHALLENGES.inactive);
    if (scope !== undefined && !hasScope(token.scope, scope)) return sendChallenge(reply, 'oauth2', insufficientScope(scope));
    req.token = token;
  };
}
