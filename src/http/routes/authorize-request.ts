import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AuthorizationParams,
  type AuthorizationRequest,
  RedirectableError,
  UntrustedRedirectError,
  validateAuthorizationRequest,
} from '../../commands/authorize.js';
import type { CommandContext } from '../../commands/context.js';
import { OAuthError } from '../../domain/errors.js';
import { parseForm, singleValued } from '../form.js';
import { redirectTo } from '../redirect.js';
import { renderPage } from '../views.js';

export const AUTHORIZATION_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const;

/** The authorization parameters of a query string or form, as a query string to carry along. */
export function requestQuery(params: AuthorizationParams): string {
  const pairs = AUTHORIZATION_PARAMS.flatMap((k) => (params[k] === undefined ? [] : [[k, params[k]!]]));
  return new URLSearchParams(pairs).toString();
}

export function pickParams(fields: Record<string, string | undefined>): AuthorizationParams {
  return Object.fromEntries(AUTHORIZATION_PARAMS.map((k) => [k, fields[k]]));
}

const GO_BACK = 'You can close this page and go back to the application you came from.';

/** A heading and advice in plain words for an error page, by what went wrong. */
function errorWording(status: number, code: string): { title: string; advice: string } {
  // A 403 on the pages is always a form whose CSRF token or session is gone (src/http/app.ts).
  if (status === 403) return { title: 'This form has expired', advice: 'For your safety, forms work for a limited time only.' };
  if (status === 404) return { title: 'Page not found', advice: GO_BACK };
  if (status === 429) return { title: 'Too many attempts', advice: 'This pause protects your account from password guessing.' };
  if (status >= 500 || code === 'server_error' || code === 'temporarily_unavailable') {
    return { title: 'Something went wrong on our side', advice: 'Please try again in a moment.' };
  }
  if (code === 'invalid_client') return { title: 'Unknown application', advice: `${GO_BACK} Nothing was shared with it.` };
  return {
    title: 'This request cannot be completed',
    advice: `${GO_BACK} If this keeps happening, tell its developer the error code below.`,
  };
}

/** The sign-in form for an authorization request (again, with `error`, after a failed attempt). */
export function loginPage(
  reply: FastifyReply,
  request: AuthorizationRequest,
  params: AuthorizationParams,
  failed?: { username: string; error: string },
): FastifyReply {
  return reply
    .code(failed ? 401 : 200)
    .header('Cache-Control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      renderPage('login', {
        clientName: request.client.name,
        csrf: reply.generateCsrf(),
        request: requestQuery(params),
        username: failed?.username ?? '',
        error: failed?.error ?? null,
      }),
    );
}

export function errorPage(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const page = renderPage('error', { ...errorWording(status, code), code, message, requestId: reply.request.id });
  return reply.code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(page);
}

/**
 * Validates an authorization request; on failure answers as RFC 6749 §4.1.2.1 requires (an
 * error page when the client or its redirect URI cannot be trusted, else a redirect with the
 * error) and returns null.
 */
export async function validateOrAnswer(
  ctx: CommandContext,
  reply: FastifyReply,
  params: AuthorizationParams,
  redirectStatus: 302 | 303,
  issuer: string,
): Promise<AuthorizationRequest | null> {
  try {
    return await validateAuthorizationRequest(ctx, params);
  } catch (error) {
    if (error instanceof UntrustedRedirectError) {
      errorPage(reply, 400, error.code, error.message);
      return null;
    }
    if (error instanceof RedirectableError) {
      const { redirectUri, state, fragment } = error.target;
      reply.redirect(redirectTo(redirectUri, { error: error.code, error_description: error.description, state, iss: issuer }, fragment), redirectStatus);
      return null;
    }
    throw error;
  }
}

/** Parses the query of GET /web/authorize/ strictly; null (after an error page) when it is malformed. */
export function authorizationQuery(req: FastifyRequest, reply: FastifyReply): AuthorizationParams | null {
  const url = req.raw.url ?? '';
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  try {
    return pickParams(singleValued(parseForm(query)));
  } catch (error) {
    const description = error instanceof OAuthError ? error.description : 'the request is malformed';
    errorPage(reply, 400, 'invalid_request', `The request is malformed: ${description}.`);
    return null;
  }
}
