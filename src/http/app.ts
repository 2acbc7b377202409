import csrfProtection from '@fastify/csrf-protection';
import secureSession from '@fastify/secure-session';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { Peers } from '../cluster/worker-peers.js';
import type { Runtime } from '../composition.js';
import { OAuthError } from '../domain/errors.js';
import { sendOAuthError, toOAuthError } from './errors.js';
import { parseForm } from './form.js';
import { lazyChildLogger } from './lazy-child-logger.js';
import { RequestLines } from './request-lines.js';
import { auditRoutes } from './routes/audit.js';
import { authorizeRoutes } from './routes/authorize.js';
import { errorPage } from './routes/authorize-request.js';
import { healthRoutes } from './routes/health.js';
import { introspectRoute } from './routes/introspect.js';
import { metadataRoute } from './routes/metadata.js';
import { metricsRoutes } from './routes/metrics.js';
import { loginRoutes } from './routes/login.js';
import { meRoute } from './routes/me.js';
import { revokeRoute } from './routes/revoke.js';
import { tokenRoute } from './routes/token.js';
import { oauthErrorSchema } from './schemas.js';
import { securityHeaders } from './security-headers.js';
import { sessionKey } from './session-key.js';
import { registerThrottle } from './throttle.js';
import { stylesheet } from './views.js';

/** `peers`: the other HTTP workers of this server, when it runs several (cluster/supervisor.ts). */
export function buildApp(runtime: Runtime, logger?: FastifyBaseLogger, peers?: Peers): FastifyInstance {
  const { config, ctx, reads } = runtime;
  const https = config.ISSUER.startsWith('https:');
  const app = Fastify({
    ...(logger
      ? { loggerInstance: logger, childLoggerFactory: lazyChildLogger, logController: new RequestLines(logger as Logger) }
      : { logger: false }),
    bodyLimit: 16 * 1024,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
    // req.ip: the address X-Forwarded-For gives, when the request comes from a trusted proxy.
    ...(config.TRUST_PROXY ? { trustProxy: config.TRUST_PROXY.join(',') } : {}),
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  securityHeaders(app, https);
  app.addSchema(oauthErrorSchema);
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Event-sourced OAuth 2.0 authorization server', version: '0.1.0' },
      servers: [{ url: config.ISSUER }],
    },
    // Only the JSON and form endpoints: the HTML pages are not an API.
    hideUntagged: true,
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('X-Request-Id', req.id);
    done(null, payload);
  });

  app.setErrorHandler((error, req, reply) => {
    const oauth = toOAuthError(error);
    if (oauth.code === 'server_error') req.log.error({ err: error }, 'request failed');
    if (req.url.startsWith('/web/')) {
      const csrf = (error as { code?: string }).code?.startsWith('FST_CSRF');
      return csrf
        ? errorPage(reply, 403, 'invalid_request', 'This form has expired. Go back, reload the page and try again.')
        : errorPage(reply, oauth.code === 'server_error' ? 500 : 400, oauth.code, oauth.description);
    }
    return sendOAuthError(req, reply, oauth);
  });
  app.setNotFoundHandler((req, reply) =>
    req.url.startsWith('/web/')
      ? errorPage(reply, 404, 'not_found', 'There is no such page.')
      : sendOAuthError(req, reply, Object.assign(new OAuthError('invalid_request', 'no such endpoint'), { httpStatus: 404 })),
  );

  registerThrottle(app, config, peers);
  app.register(async (scoped) => {
    tokenRoute(scoped, ctx);
    revokeRoute(scoped, ctx);
    introspectRoute(scoped, ctx, config.ISSUER);
    metadataRoute(scoped, reads, config.ISSUER);
    scoped.get('/openapi.json', async () => app.swagger());
    // The sign-in session and its CSRF tokens exist for the pages only: the API routes do not
    // pay for decoding a cookie they never use.
    scoped.register(async (web) => {
      await web.register(secureSession, {
        key: sessionKey(config.SESSION_SECRET, config.DATA_DIR),
        cookieName: 'oauth2_session',
        expiry: 8 * 3600,
        cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: https },
      });
      await web.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' });
      authorizeRoutes(web, ctx, config.ISSUER);
      loginRoutes(web, ctx, config.ISSUER);
    });
    meRoute(scoped, reads);
    auditRoutes(scoped, runtime);
    scoped.get('/web/static/style.css', async (_req, reply) =>
      reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(stylesheet),
    );
    healthRoutes(scoped, runtime);
    metricsRoutes(scoped, runtime.metrics, peers);
  });
  return app;
}
