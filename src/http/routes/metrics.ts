import type { FastifyInstance } from 'fastify';
import type { Peers } from '../../cluster/worker-peers.js';
import type { Metrics } from '../../metrics.js';
import type { FormFields } from '../form.js';

const ERROR_IN_JSON = /^\{"error":"([a-z_]+)"/;
const ERROR_IN_REDIRECT = /[?#&]error=([a-z_]+)/;

/**
 * Counts what responses say: tokens issued (token endpoint 200s, implicit redirects) and OAuth
 * errors (JSON bodies and error redirects), so no route has to remember to count.
 */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics, peers?: Peers): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    const status = reply.statusCode;
    const location = reply.getHeader('location');
    if (status === 200 && req.routeOptions.url === '/api/v1/tokens/') {
      const grantType = (req.body as FormFields | undefined)?.grant_type;
      if (typeof grantType === 'string') metrics.tokensIssued.inc({ grant_type: grantType });
    } else if (status >= 400 && typeof payload === 'string') {
      const code = ERROR_IN_JSON.exec(payload)?.[1];
      if (code) metrics.errors.inc({ error: code });
    } else if (typeof location === 'string') {
      const code = ERROR_IN_REDIRECT.exec(location)?.[1];
      if (code) metrics.errors.inc({ error: code });
      else if (location.includes('#access_token=')) metrics.tokensIssued.inc({ grant_type: 'implicit' });
    }
    done(null, payload);
  });

  // With several workers, the whole server's figures, whichever worker is asked.
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await (peers ? peers.metrics() : metrics.registry.metrics())),
  );
}
