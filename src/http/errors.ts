import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../domain/errors.js';

/** The RFC 6749 §5.2 error body. */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

function validationDescription(fe: Partial<FastifyError>): string {
  const first = fe.validation?.[0];
  if (!first) return 'the request is malformed';
  const name = first.instancePath.replace(/^\//, '');
  if (first.keyword === 'type' && name) return `parameter ${name} is repeated or not a string`;
  if (first.keyword === 'required') return `parameter ${String(first.params.missingProperty)} is required`;
  return `the request is malformed: ${fe.message ?? ''}`.trim();
}

/** Turns whatever went wrong into an OAuth error; only an unexpected fault becomes server_error. */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  const fe = error as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const description =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'the request body is too large'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'unsupported content type; send application/x-www-form-urlencoded'
          : fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
            ? 'the request body is not valid JSON'
            : fe.code === 'FST_ERR_VALIDATION'
              ? validationDescription(fe)
              : 'the request is malformed';
    return Object.assign(new OAuthError('invalid_request', description), { httpStatus: fe.statusCode });
  }
  return new OAuthError('server_error', 'the server could not complete the request');
}

/** The HTTP status for an error: a framework's 4xx (413, 415) is kept, else the OAuth table's. */
export function statusOf(error: OAuthError): number {
  const s = (error as OAuthError & { httpStatus?: number }).httpStatus;
  return s ?? error.status;
}

export function sendOAuthError(req: FastifyRequest, reply: FastifyReply, error: OAuthError): FastifyReply {
  // RFC 6749 §5.2: a client that tried the Authorization header is told which scheme to use.
  if (error.code === 'invalid_client' && req.headers.authorization !== undefined) {
    reply.header('WWW-Authenticate', 'Basic realm="oauth2", charset="UTF-8"');
  }
  // RFC 6749 §5.2: error_description is printable ASCII without `"` and `\`; it may echo input.
  const description = error.description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
  const body: OAuthErrorBody = { error: error.code, error_description: description };
  return reply.code(statusOf(error)).header('Cache-Control', 'no-store').send(body);
}
