import type { FastifyInstance } from 'fastify';
import type { ReadStore } from '../../store/read-store.js';
import { authenticationRequired } from '../guard.js';

/** A small protected resource: shows what the presented token stands for. */
export function meRoute(app: FastifyInstance, reads: ReadStore): void {
  app.get('/api/v1/me', { preHandler: authenticationRequired(reads) }, async (req) => {
    const t = req.token!;
    return { client_id: t.clientId, username: t.username, scope: t.scope, exp: t.expiresAt };
  });
}
