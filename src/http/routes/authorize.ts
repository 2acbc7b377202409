import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  approvedScope,
  type AuthorizationParams,
  type AuthorizationRequest,
  issueCode,
  issueImplicitToken,
} from '../../commands/authorize.js';
import { grantConsent, loadConsent } from '../../commands/consent.js';
import type { CommandContext, RequestMeta } from '../../commands/context.js';
import { type ConsentState, consentMayBeRemembered, coversScopes } from '../../domain/consent.js';
import { OAuthError } from '../../domain/errors.js';
import { allValues, type FormFields, singleValued } from '../form.js';
import { redirectTo } from '../redirect.js';
import { requestMeta } from '../request-meta.js';
import { type SessionUser, sessionUser } from '../session.js';
import { renderPage } from '../views.js';
import { authorizationQuery, loginPage, pickParams, requestQuery, validateOrAnswer } from './authorize-request.js';

const html = 'text/html; charset=utf-8';

const remembers = (request: AuthorizationRequest) =>
  consentMayBeRemembered({
    confidential: request.client.secretHash !== null,
    responseType: request.responseType,
    redirectUri: request.redirectUri,
  });

/** Sends the browser back to the client with `p` (RFC 9207: `iss` tells a client which server answered). */
function back(reply: FastifyReply, request: AuthorizationRequest, issuer: string, status: 302 | 303, p: Record<string, string | undefined>) {
  const fragment = request.responseType === 'token';
  return reply
    .header('Cache-Control', 'no-store')
    .redirect(redirectTo(request.redirectUri, { ...p, state: request.state, iss: issuer }, fragment), status);
}

/** Issues what the request asked for, a code or (implicit) a token, and sends it back to the client. */
async function answer(
  ctx: CommandContext,
  reply: FastifyReply,
  request: AuthorizationRequest,
  user: SessionUser,
  scope: string,
  meta: RequestMeta,
  issuer: string,
  status: 302 | 303,
) {
  if (request.responseType === 'code') {
    return back(reply, request, issuer, status, { code: await issueCode(ctx, request, user, scope, meta) });
  }
  const t = await issueImplicitToken(ctx, request, user, scope, meta);
  return back(reply, request, issuer, status, {
    access_token: t.access_token,
    token_type: t.token_type,
    expires_in: String(t.expires_in),
    scope: t.scope,
  });
}

interface ConsentPageInput {
  request: AuthorizationRequest;
  params: AuthorizationParams;
  user: SessionUser;
  remembered: ConsentState | null;
  /** The scopes left ticked when the page is shown again; null: all ticked. */
  ticked: readonly string[] | null;
}

function consentPage(reply: FastifyReply, { request, params, user, remembered, ticked }: ConsentPageInput) {
  return reply
    .header('Cache-Control', 'no-store')
    .type(html)
    .send(
      renderPage('consent', {
        clientName: request.client.name,
        username: user.username,
        csrf: reply.generateCsrf(),
        request: requestQuery(params),
        params: Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined),
        scopes: request.scopes.map((s) => ({
          name: s.name,
          description: s.description,
          remembered: remembered?.scopes.includes(s.name) ?? false,
          checked: ticked === null || ticked.includes(s.name),
        })),
        returnTo: new URL(request.redirectUri).origin,
        notice: ticked === null ? null : 'Nothing was decided yet. Choose Allow or Deny.',
      }),
    );
}

/** The authorization endpoint (RFC 6749 §3.1) at the seed's URL: login, then consent (or remembered consent). */
export function authorizeRoutes(app: FastifyInstance, ctx: CommandContext, issuer: string): void {
  app.get('/web/authorize/', async (req, reply) => {
    const params = authorizationQuery(req, reply);
    if (!params) return reply;
    const request = await validateOrAnswer(ctx, reply, params, 302, issuer);
    if (!request) return reply;
    const user = sessionUser(req);
    if (!user) {
      return loginPage(reply, request, params);
    }
    const names = request.scopes.map((s) => s.name);
    const remembered = remembers(request) ? await loadConsent(ctx, user.userId, request.client.clientId) : null;
    if (remembered && coversScopes(remembered, names)) {
      // Allowed before, for these scopes or more: no page, the answer goes straight back.
      return answer(ctx, reply, request, user, names.join(' '), requestMeta(req), issuer, 302);
    }
    return consentPage(reply, { request, params, user, remembered, ticked: null });
  });

  app.post('/web/authorize/', { preHandler: app.csrfProtection }, async (req, reply) => {
    const fields = (req.body as FormFields | undefined) ?? {};
    const body = singleValued(fields, ['allow_scope']);
    const params: AuthorizationParams = pickParams(body);
    const request = await validateOrAnswer(ctx, reply, params, 303, issuer);
    if (!request) return reply;
    const user = sessionUser(req);
    if (!user) return reply.redirect(`/web/authorize/?${requestQuery(params)}`, 303);
    if (body.decision !== 'allow' && body.decision !== 'deny') {
      // No answer: Enter pressed on a checkbox submits through the form's hidden default button
      // (see consent.eta). Show the page again with the person's ticks; nothing is decided.
      const remembered = remembers(request) ? await loadConsent(ctx, user.userId, request.client.clientId) : null;
      return consentPage(reply, { request, params, user, remembered, ticked: allValues(fields, 'allow_scope') });
    }
    // A denial records nothing, and leaves any consent remembered before as it was.
    if (body.decision === 'deny') {
      return back(reply, request, issuer, 303, { error: 'access_denied', error_description: 'the user denied the request' });
    }
    let scope: string;
    try {
      scope = approvedScope(request, allValues(fields, 'allow_scope'));
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return back(reply, request, issuer, 303, { error: 'access_denied', error_description: 'the user allowed no scope' });
    }
    const meta = requestMeta(req);
    if (remembers(request)) {
      const answered = { userId: user.userId, clientId: request.client.clientId };
      await grantConsent(ctx, { ...answered, asked: request.scopes.map((s) => s.name), allowed: scope.split(' ') }, meta);
    }
    return answer(ctx, reply, request, user, scope, meta, issuer, 303);
  });
}
