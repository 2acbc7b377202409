import type { FastifyInstance } from 'fastify';
import { clientKnown, grantsOf, liveTokensOf, loadGrantHistory } from '../../audit/log.js';
import { AuditInputError, parseAuditTime, parseRange } from '../../audit/time.js';
import { OAuthError } from '../../domain/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { ReadStore } from '../../store/read-store.js';
import { auditClientRouteSchema, auditGrantRouteSchema } from '../audit-schemas.js';
import { authenticationRequired } from '../guard.js';

const notFound = (what: string) => Object.assign(new OAuthError('invalid_request', `no such ${what}`), { httpStatus: 404 });

function badInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof AuditInputError) throw new OAuthError('invalid_request', error.message);
    throw error;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The audit history over HTTP for admin tools, replayed from the event log. The guard (the scope
 * `audit`) reads the token read model, as every guarded route does; the answers never do.
 */
export function auditRoutes(app: FastifyInstance, runtime: { events: EventStore; reads: ReadStore }): void {
  const { events } = runtime;
  const preHandler = authenticationRequired(runtime.reads, 'audit');

  app.get('/api/v1/audit/grants/:id', { schema: auditGrantRouteSchema, preHandler }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const history = await loadGrantHistory(events, id);
    if (history === null) throw notFound('grant');
    return reply.header('Cache-Control', 'no-store').send({ grantId: id, events: history });
  });

  app.get('/api/v1/audit/clients/:id', { schema: auditClientRouteSchema, preHandler }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const q = req.query as { since?: string; until?: string; as_of?: string };
    reply.header('Cache-Control', 'no-store');
    if (q.as_of !== undefined) {
      if (q.since !== undefined || q.until !== undefined) throw new OAuthError('invalid_request', 'as_of cannot be combined with since or until');
      const at = badInput(() => parseAuditTime(q.as_of!, 'as_of'));
      if (!(await clientKnown(events, id))) throw notFound('client');
      return reply.send({ clientId: id, asOf: new Date(at).toISOString(), liveTokens: await liveTokensOf(events, { clientId: id }, at) });
    }
    const range = badInput(() => parseRange(q.since, q.until));
    if (!(await clientKnown(events, id))) throw notFound('client');
    return reply.send({
      clientId: id,
      ...(range.since === undefined ? {} : { since: iso(range.since) }),
      ...(range.until === undefined ? {} : { until: iso(range.until) }),
      events: await grantsOf(events, { clientId: id }, range),
    });
  });
}
