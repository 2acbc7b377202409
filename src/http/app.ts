import csrfProtection from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import secureSession from '@fastify/secure-session';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Runtime } from '../composition.js';
import { OAuthError } from '../domain/errors.js';
import { sendOAuthError, toOAuthError } from './errors.js';
import { parseForm } from './form.js';
import { authorizeRoutes } from './routes/authorize.js';
import { errorPage } from './routes/authorize-request.js';
import { healthRoutes } from './routes/health.js';
import { loginRoutes } from './routes/login.js';
import { meRoute } from './routes/me.js';
import { revokeRoute } from './routes/revoke.js';
import { tokenRoute } from './routes/token.js';
import { sessionKey } from './session-key.js';
import { stylesheet } from './views.js';

/** Never log a credential: headers, cookies and any body field that could hold one. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.code',
  '*.code_verifier',
  '*.token',
];

export function buildApp(runtime: Runtime, logger?: FastifyBaseLogger): FastifyInstance {
  const { config, ctx, reads } = runtime;
  const https = config.ISSUER.startsWith('https:');
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: 16 * 1024,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // The consent form's answer is a redirect to the client; form-action would block it.
        formAction: null,
        scriptSrc: ["'none'"],
        // Over plain http (a local run) upgrading would send the forms to a port with no TLS.
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    hsts: https,
  });
  app.register(secureSession, {
    key: sessionKey(config.SESSION_SECRET, config.DATA_DIR),
    cookieName: 'oauth2_session',
    expiry: 8 * 3600,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: https },
  });
  app.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' });

  app.addHook('onSend', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
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

  app.register(async (scoped) => {
    tokenRoute(scoped, ctx);
    revokeRoute(scoped, ctx);
    authorizeRoutes(scoped, ctx);
    loginRoutes(scoped, ctx);
    meRoute(scoped, reads);
    scoped.get('/web/static/style.css', async (_req, reply) =>
      reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(stylesheet),
    );
    healthRoutes(scoped, runtime);
  });
  return app;
}
