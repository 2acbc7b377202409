import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../commands/context.js';

/** Request context recorded with events: who asked, from where, in which request. */
export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { requestId: req.id, ip: req.ip, ...(ua ? { userAgent: ua.slice(0, 512) } : {}) };
}
