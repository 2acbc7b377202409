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

export function errorPage(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(renderPage('error', { code, message }));
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
