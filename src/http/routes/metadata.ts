import type { FastifyInstance } from 'fastify';
import { GRANT_TYPES } from '../../domain/events.js';
import type { ReadStore } from '../../store/read-store.js';
import { metadataRouteSchema } from '../schemas.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];

/** RFC 8414 metadata: `issuer` is exactly ISSUER, the value clients compare against. */
export function metadataRoute(app: FastifyInstance, reads: ReadStore, issuer: string): void {
  app.get('/.well-known/oauth-authorization-server', { schema: metadataRouteSchema }, async (_req, reply) => {
    const scopes = await reads.listScopes();
    return reply.header('Cache-Control', 'public, max-age=300').send({
      issuer,
      authorization_endpoint: `${issuer}/web/authorize/`,
      token_endpoint: `${issuer}/api/v1/tokens/`,
      introspection_endpoint: `${issuer}/api/v1/introspect`,
      revocation_endpoint: `${issuer}/api/v1/revoke`,
      scopes_supported: scopes.map((s) => s.name),
      response_types_supported: ['code', 'token'],
      response_modes_supported: ['query', 'fragment'],
      grant_types_supported: [...GRANT_TYPES],
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      introspection_endpoint_auth_methods_supported: AUTH_METHODS.slice(0, 2),
      revocation_endpoint_auth_methods_supported: AUTH_METHODS,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
  });
}
