import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { activeAccessToken } from '../commands/validate-token.js';
import { hasScope } from '../domain/scope.js';
import type { ReadStore, TokenView } from '../store/read-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The access token a guarded route was called with. */
    token?: TokenView;
  }
}

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function challenge(reply: FastifyReply, status: number, error?: string, description?: string, scope?: string) {
  const params = ['realm="oauth2"'];
  if (error) params.push(`error="${error}"`);
  if (description) params.push(`error_description="${description}"`);
  if (scope) params.push(`scope="${scope}"`);
  reply.header('WWW-Authenticate', `Bearer ${params.join(', ')}`).header('Cache-Control', 'no-store');
  // Without credentials the header carries no error code (RFC 6750 §3.1); the body still says why.
  return reply.code(status).send({ error: error ?? 'invalid_token', error_description: description });
}

/**
 * The seed's `authentication_required(scope)` guard as a fastify preHandler: a live bearer
 * token, and if a scope is named, that scope as a whole word of the token's scope.
 */
export function authenticationRequired(
  reads: ReadStore,
  scope?: string,
  now: () => number = () => Math.floor(Date.now() / 1000),
): preHandlerAsyncHookHandler {
  return async function guard(req: FastifyRequest, reply: FastifyReply) {
    const header = req.headers.authorization;
    if (header === undefined) {
      // RFC 6750 §3.1: a request without credentials gets the challenge but no error code.
      return challenge(reply, 401, undefined, 'a bearer token is required');
    }
    const match = BEARER.exec(header);
    if (!match) return challenge(reply, 400, 'invalid_request', 'the Authorization header is not a bearer token');
    const token = await activeAccessToken(reads, match[1]!, now());
    if (!token) return challenge(reply, 401, 'invalid_token', 'the access token is invalid, expired or revoked');
    if (scope !== undefined && !hasScope(token.scope, scope)) {
      return challenge(reply, 403, 'insufficient_scope', `the access token lacks the ${scope} scope`, scope);
    }
    req.token = token;
  };
}
