import type { FastifyInstance } from 'fastify';
import type { CommandContext } from '../../commands/context.js';
import { verifyUserPassword } from '../../commands/password-grant.js';
import { type FormFields, parseForm, singleValued } from '../form.js';
import { renderPage } from '../views.js';
import { errorPage, loginPage, pickParams, requestQuery, validateOrAnswer } from './authorize-request.js';

const html = 'text/html; charset=utf-8';

/** Sign-in and sign-out for the authorization pages; the session lives in an encrypted cookie. */
export function loginRoutes(app: FastifyInstance, ctx: CommandContext, issuer: string): void {
  app.post('/web/login', { preHandler: app.csrfProtection }, async (req, reply) => {
    const body = singleValued((req.body as FormFields | undefined) ?? {});
    // The authorization request rides along as a query string; it is re-validated, never trusted.
    const params = pickParams(singleValued(parseForm(body.request ?? '')));
    const request = await validateOrAnswer(ctx, reply, params, 303, issuer);
    if (!request) return reply;
    const user =
      body.username && body.password !== undefined ? await verifyUserPassword(ctx, body.username, body.password) : null;
    if (!user) {
      return loginPage(reply, request, params, { username: body.username ?? '', error: 'That username and password do not match.' });
    }
    req.session.set('user', { userId: user.userId, username: user.username });
    return reply.redirect(`/web/authorize/?${requestQuery(params)}`, 303);
  });

  app.post('/web/logout', { preHandler: app.csrfProtection }, async (req, reply) => {
    const body = singleValued((req.body as FormFields | undefined) ?? {});
    req.session.delete();
    if (body.request) {
      const params = pickParams(singleValued(parseForm(body.request)));
      return reply.redirect(`/web/authorize/?${requestQuery(params)}`, 303);
    }
    return reply.header('Cache-Control', 'no-store').type(html).send(renderPage('signed-out', {}));
  });

  app.get('/web/logout', async (_req, reply) => errorPage(reply, 405, 'invalid_request', 'Sign out with the button on the consent page.'));
}
