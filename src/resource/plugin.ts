import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { isScopeToken } from '../domain/scope.js';
import { type ActiveToken, checkBearer, sendChallenge, type ValidateToken } from './bearer.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler: a live bearer token and, if named, that scope (a whole word of the token's scope). */
    requireScope(scope?: string): preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    /** What the validator said about the bearer token, on a route that required one. */
    bearer?: ActiveToken;
  }
}

export interface BearerAuthOptions {
  /** introspectionValidator(…) for a remote authorization server, readModelValidator(…) for a shared store. */
  validate: ValidateToken;
  /** The realm of the `WWW-Authenticate` challenges (default "oauth2", as the server's own guard). */
  realm?: string;
}

async function bearerAuthPlugin(app: FastifyInstance, { validate, realm = 'oauth2' }: BearerAuthOptions): Promise<void> {
  if (typeof validate !== 'function') throw new TypeError('bearerAuth needs a validate function');
  if (/["\\]/.test(realm)) throw new TypeError('realm must not contain " or \\');
  app.decorateRequest('bearer', undefined);
  app.decorate('requireScope', (scope?: string): preHandlerAsyncHookHandler => {
    if (scope !== undefined && !isScopeToken(scope)) throw new TypeError(`not a scope token: ${JSON.stringify(scope)}`);
    return async function requireBearer(req: FastifyRequest, reply: FastifyReply) {
      const outcome = await checkBearer(validate, req.headers.authorization, scope);
      if (outcome.ok) {
        req.bearer = outcome.token;
        return;
      }
      if (outcome.cause !== undefined) req.log.error({ err: outcome.cause }, 'bearer token could not be validated');
      return sendChallenge(reply, realm, outcome.challenge);
    };
  });
}

/**
 * Bearer-token authentication for a resource service (RFC 6750). Not encapsulated: the
 * `requireScope` decorator is visible where the plugin is registered.
 *
 *     await app.register(bearerAuth, { validate: introspectionValidator({ issuer, clientId, clientSecret }) });
 *     app.get('/reports', { preHandler: app.requireScope('reports') }, handler);
 */
export const bearerAuth = fp(bearerAuthPlugin, { name: 'es-oauth2-bearer-auth', fastify: '5.x' });
