import type { FastifyInstance } from 'fastify';
import { authenticateClient } from '../../commands/authenticate-client.js';
import type { CommandContext } from '../../commands/context.js';
import { introspect } from '../../commands/introspect.js';
import { clientCredentialsFrom } from '../client-credentials.js';
import { type FormFields, singleValued } from '../form.js';
import { introspectRouteSchema } from '../schemas.js';

/** RFC 7662 token introspection, for resource services. The caller authenticates as a client. */
export function introspectRoute(app: FastifyInstance, ctx: CommandContext, issuer: string): void {
  app.post('/api/v1/introspect', { schema: introspectRouteSchema }, async (req, reply) => {
    const body = singleValued((req.body as FormFields | undefined) ?? {});
    const caller = await authenticateClient(ctx, clientCredentialsFrom(req, body));
    const answer = await introspect(ctx, caller, body.token ?? '', issuer);
    return reply.header('Cache-Control', 'no-store').send(answer);
  });
}
