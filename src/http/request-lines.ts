import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { loggableUrl } from './log-redaction.js';

/**
 * The lines fastify writes for each request, cheaper:
 * - one line per request at info, "request completed", with the method, URL and status (an access
 *   log line). Fastify's "incoming request" is logged at debug: it only helps to find a request
 *   that never completes.
 * - written through a child of the server's logger that does not redact. Their fields are fixed
 *   (method, URL, host, client address, status, time), never a header or a body, so redaction has
 *   nothing to find in them but a credential in the URL's query, which loggableUrl hides; and
 *   redacting them (wildcard paths, on every line) cost about 10% of a client_credentials
 *   request's CPU at info. Every other line, errors included, still goes through the redacting
 *   logger (REDACT).
 */
export class RequestLines extends LogController {
  private readonly lines: Logger;

  constructor(logger: Logger) {
    super();
    this.lines = logger.child({}, { redact: [] });
  }

  override incomingRequest(request: FastifyRequest): void {
    if (!this.lines.isLevelEnabled('debug')) return;
    const req = { method: request.method, url: loggableUrl(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket.remotePort };
    this.lines.debug({ [this.requestIdLogLabel]: request.id, req }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    if (!this.lines.isLevelEnabled('info')) return;
    const req = { method: request.method, url: loggableUrl(request.url), remoteAddress: request.ip };
    const res = { statusCode: reply.statusCode };
    this.lines.info({ [this.requestIdLogLabel]: request.id, req, res, responseTime: reply.elapsedTime }, 'request completed');
  }
}
