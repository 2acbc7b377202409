import '@fastify/secure-session';
import '@fastify/csrf-protection';
import type { FastifyRequest } from 'fastify';

/** Who is signed in, as kept in the encrypted session cookie. */
export interface SessionUser {
  userId: string;
  username: string;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    user: SessionUser;
  }
}

export function sessionUser(req: FastifyRequest): SessionUser | undefined {
  return req.session.get('user');
}
