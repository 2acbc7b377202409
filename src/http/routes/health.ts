import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../composition.js';
import { projectionLagSeconds } from '../../projections/lag.js';

/**
 * /healthz: the process is up. /readyz: both stores answer and the read models are no further
 * behind the log than READY_MAX_LAG_SECONDS (the age of the oldest event not yet projected).
 */
export function healthRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, unknown> = { events: runtime.kinds.events, reads: runtime.kinds.reads };
    try {
      // Ask both stores, even when the projected position is known in memory.
      await runtime.reads.getCheckpoint('tokens');
      const lagSeconds = await projectionLagSeconds(runtime.events, await runtime.projectedPosition());
      checks.projectionLagSeconds = Math.round(lagSeconds * 10) / 10;
      const projector = runtime.runner ? runtime.runner.healthy : true;
      const ready = projector && lagSeconds <= runtime.config.READY_MAX_LAG_SECONDS;
      if (!projector) checks.projector = 'stopped';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', ...checks });
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unreachable';
      return reply.code(503).send({ status: 'not ready', ...checks, error: `a store is unreachable: ${reason}` });
    }
  });
}
