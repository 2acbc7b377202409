import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../domain/errors.js';
import type { Peers } from '../cluster/worker-peers.js';
import { type FailureChange, FailureCounters, type ThrottleConfig } from '../security/throttle.js';
import { clientCredentialsFrom } from './client-credentials.js';
import { sendOAuthError } from './errors.js';
import { errorPage } from './routes/authorize-request.js';

/**
 * Brute-force throttling of everything that checks a credential, counting failures only:
 * - a username (the sign-in form, the password grant): THROTTLE_USER_FAILURES per window;
 * - an IP address, over those same user credentials: THROTTLE_IP_FAILURES per window;
 * - a client id (failed client authentication at the token, introspection and revocation
 *   endpoints): THROTTLE_CLIENT_FAILURES per window.
 * A blocked attempt is refused before any credential is checked: 429 with Retry-After, as the
 * RFC 6749 §5.2 JSON (`temporarily_unavailable`) on the API, as the error page on /web/login.
 * Failures are read from the outcome: a thrown invalid_client or (password grant) invalid_grant,
 * a 401 from the sign-in form. The counters live in this process; with several HTTP workers,
 * each tells the others of its failures and resets (`peers`), so the limits hold for all of them
 * together, and one that starts takes the supervisor's copy of them (see docs/security.md).
 */

const LOGIN = '/web/login';
const TOKEN = '/api/v1/tokens/';
const CLIENT_AUTHENTICATED = new Set([TOKEN, '/api/v1/introspect', '/api/v1/revoke']);

interface Attempt {
  ip: string;
  /** Set when a user's password is checked. */
  user?: string;
  /** Set when a client authenticates. */
  client?: string;
}

/** A form field when it is one string; anything else (absent, repeated) is not a key. */
function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function attemptOf(req: FastifyRequest): Attempt | null {
  if (req.method !== 'POST') return null;
  const route = req.routeOptions.url ?? '';
  const user = (name: string | undefined) => (name === undefined ? {} : { user: name.trim().toLowerCase() });
  if (route === LOGIN) return { ip: req.ip, ...user(field(req.body, 'username') ?? '') };
  if (!CLIENT_AUTHENTICATED.has(route)) return null;
  let client: string | undefined;
  try {
    const body = { client_id: field(req.body, 'client_id'), client_secret: field(req.body, 'client_secret') };
    client = clientCredentialsFrom(req, body).clientId;
  } catch {
    // Malformed credentials fail before any secret is checked: nothing to throttle by client.
  }
  const password = route === TOKEN && field(req.body, 'grant_type') === 'password';
  return { ip: req.ip, ...(client ? { client } : {}), ...(password ? user(field(req.body, 'username') ?? '') : {}) };
}

function refuse(req: FastifyRequest, reply: FastifyReply, seconds: number): FastifyReply {
  reply.header('Retry-After', String(seconds));
  if (req.routeOptions.url === LOGIN) {
    const minutes = Math.ceil(seconds / 60);
    const wait = minutes > 1 ? `${minutes} minutes` : 'a minute';
    return errorPage(reply, 429, 'temporarily_unavailable', `Too many failed sign-in attempts. Try again in ${wait}.`);
  }
  const error = new OAuthError('temporarily_unavailable', `too many failed attempts; try again in ${seconds} seconds`);
  return sendOAuthError(req, reply, Object.assign(error, { httpStatus: 429 }));
}

export function registerThrottle(app: FastifyInstance, config: ThrottleConfig, peers?: Peers): void {
  const counters = new FailureCounters(config);
  const { users, ips, clients } = counters;
  const attempts = new WeakMap<FastifyRequest, Attempt>();

  peers?.onThrottle((change) => counters.apply(change));
  // A worker that starts (or replaces one that died) takes the server's counters before it
  // answers anything, so that a crash does not reset anyone's budget.
  if (peers) {
    app.addHook('onReady', async () => {
      const snapshot = await peers.throttleSnapshot();
      if (snapshot) counters.restore(snapshot);
    });
  }
  /** Here, and in the other workers. */
  const change = (counter: FailureChange['counter'], op: FailureChange['op'], key: string) => {
    counters.apply({ counter, op, key });
    peers?.tellThrottle({ counter, op, key });
  };
  const userFailed = (a: Attempt) => {
    if (a.user === undefined) return;
    if (a.user !== '') change('users', 'fail', a.user);
    change('ips', 'fail', a.ip);
  };

  // Callback-style hooks: they run on every request, and need no promise of their own.
  app.addHook('preHandler', (req, reply, done) => {
    const a = attemptOf(req);
    if (!a) return done();
    attempts.set(req, a);
    const waits = [
      a.client === undefined ? null : clients.blockedFor(a.client),
      a.user === undefined ? null : ips.blockedFor(a.ip),
      a.user ? users.blockedFor(a.user) : null,
    ].filter((w): w is number => w !== null);
    // Answered here: the handler does not run (done is not called).
    if (waits.length > 0) refuse(req, reply, Math.max(...waits));
    else done();
  });

  app.addHook('onError', (req, _reply, error, done) => {
    const a = attempts.get(req);
    if (a && error instanceof OAuthError) {
      if (error.code === 'invalid_client' && a.client !== undefined) change('clients', 'fail', a.client);
      if (error.code === 'invalid_grant') userFailed(a);
    }
    done();
  });

  app.addHook('onResponse', (req, reply, done) => {
    const a = attempts.get(req);
    if (a && a.user !== undefined) {
      const login = req.routeOptions.url === LOGIN;
      const signedIn = login
        ? reply.statusCode === 303 && String(reply.getHeader('location') ?? '').startsWith('/web/authorize/')
        : reply.statusCode === 200;
      if (signedIn && a.user !== '') change('users', 'reset', a.user);
      if (login && reply.statusCode === 401) userFailed(a);
    }
    done();
  });
}
