import type { FastifyInstance } from 'fastify';
import { approvedScope, issueCode, issueImplicitToken } from '../../commands/authorize.js';
import type { CommandContext } from '../../commands/context.js';
import { OAuthError } from '../../domain/errors.js';
import { allValues, type FormFields, singleValued } from '../form.js';
import { redirectTo } from '../redirect.js';
import { requestMeta } from '../request-meta.js';
import { sessionUser } from '../session.js';
import { renderPage } from '../views.js';
import { authorizationQuery, pickParams, requestQuery, validateOrAnswer } from './authorize-request.js';

const html = 'text/html; charset=utf-8';

/** The authorization endpoint (RFC 6749 §3.1) at the seed's URL: login, then consent. */
export function authorizeRoutes(app: FastifyInstance, ctx: CommandContext, issuer: string): void {
  app.get('/web/authorize/', async (req, reply) => {
    const params = authorizationQuery(req, reply);
    if (!params) return reply;
    const request = await validateOrAnswer(ctx, reply, params, 302, issuer);
    if (!request) return reply;
    const csrf = reply.generateCsrf();
    const user = sessionUser(req);
    reply.header('Cache-Control', 'no-store').type(html);
    if (!user) {
      return reply.send(
        renderPage('login', { clientName: request.client.name, csrf, request: requestQuery(params), username: '', error: null }),
      );
    }
    return reply.send(
      renderPage('consent', {
        clientName: request.client.name,
        username: user.username,
        csrf,
        request: requestQuery(params),
        params: Object.entries(params).filter(([, v]) => v !== undefined),
        scopes: request.scopes,
      }),
    );
  });

  app.post('/web/authorize/', { preHandler: app.csrfProtection }, async (req, reply) => {
    const fields = (req.body as FormFields | undefined) ?? {};
    const body = singleValued(fields, ['allow_scope']);
    const params = pickParams(body);
    const request = await validateOrAnswer(ctx, reply, params, 303, issuer);
    if (!request) return reply;
    const user = sessionUser(req);
    if (!user) return reply.redirect(`/web/authorize/?${requestQuery(params)}`, 303);
    const fragment = request.responseType === 'token';
    // RFC 9207: `iss` lets a client that talks to several servers tell which one answered.
    const back = (p: Record<string, string | undefined>) =>
      reply.redirect(redirectTo(request.redirectUri, { ...p, state: request.state, iss: issuer }, fragment), 303);
    if (body.decision !== 'allow') {
      return back({ error: 'access_denied', error_description: 'the user denied the request' });
    }
    let scope: string;
    try {
      scope = approvedScope(request, allValues(fields, 'allow_scope'));
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return back({ error: 'access_denied', error_description: 'the user allowed no scope' });
    }
    const meta = requestMeta(req);
    if (request.responseType === 'code') {
      return back({ code: await issueCode(ctx, request, user, scope, meta) });
    }
    const t = await issueImplicitToken(ctx, request, user, scope, meta);
    return back({ access_token: t.access_token, token_type: t.token_type, expires_in: String(t.expires_in), scope: t.scope });
  });
}
