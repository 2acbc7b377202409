import type { FastifyInstance } from 'fastify';
import { authenticateClient } from '../../commands/authenticate-client.js';
import type { CommandContext } from '../../commands/context.js';
import { revokeToken } from '../../commands/revoke.js';
import { OAuthError } from '../../domain/errors.js';
import { clientCredentialsFrom } from '../client-credentials.js';
import { type FormFields, singleValued } from '../form.js';
import { requestMeta } from '../request-meta.js';
import { revokeRouteSchema } from '../schemas.js';

/**
 * RFC 7009 token revocation. Unknown tokens answer 200 too (§2.2), so the endpoint tells a
 * caller nothing about tokens that are not its own. Effective once the response is sent.
 */
export function revokeRoute(app: FastifyInstance, ctx: CommandContext): void {
  app.post('/api/v1/revoke', { schema: revokeRouteSchema }, async (req, reply) => {
    const body = singleValued((req.body as FormFields | undefined) ?? {});
    const client = await authenticateClient(ctx, clientCredentialsFrom(req, body));
    if (!body.token) throw new OAuthError('invalid_request', 'token is required');
    await revokeToken(ctx, client.clientId, body.token, { ...requestMeta(req), actor: { clientId: client.clientId } });
    return reply.header('Cache-Control', 'no-store').code(200).send();
  });
}
