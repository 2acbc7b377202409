import Fastify, { type FastifyInstance } from 'fastify';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/commands/register-client.js';
import {
  bearerAuth,
  introspectionValidator,
  type IntrospectionValidatorOptions,
  readModelValidator,
  TokenCache,
  type ValidateToken,
} from '../../src/resource/index.js';
import { BASIC, form, startTestServer, type TestServer } from '../support/app.js';
import { freePort, oauth2, type ServerProcess, startServer } from '../support/process.js';

/** Spaces and reserved characters: the validator must form-urlencode them before base64 (RFC 6749 §2.3.1). */
const RS_SECRET = 'reports secret: +/&%';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

/** A fresh store with the seed fixtures, a resource-server client and a plain client, served by `oauth2 serve`. */
async function prepareServer(extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-resource-')), LOG_LEVEL: 'warn', ...extraEnv };
  const steps = [
    ['fixtures', 'load', 'test_credentials', 'test_scopes'],
    ['clients', 'create', 'reports-api', '--secret', RS_SECRET, '--resource-server', '--grant-types', 'client_credentials'],
    ['clients', 'create', 'plain-api', '--secret', 'plain-secret', '--grant-types', 'client_credentials'],
  ];
  for (const args of steps) {
    const res = await oauth2(args, env);
    if (res.code !== 0) throw new Error(`oauth2 ${args.join(' ')}: ${res.stderr}`);
  }
  return startServer(env);
}

async function tokens(server: string, fields: Record<string, string>, auth = BASIC) {
  const res = await fetch(`${server}/api/v1/tokens/`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: form(fields),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token?: string; expires_in: number };
}
const accessToken = async (server: string, scope: string) => (await tokens(server, { grant_type: 'client_credentials', scope })).access_token;

async function revoke(server: string, token: string) {
  const res = await fetch(`${server}/api/v1/revoke`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ token }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

/** Node's fetch, counting the introspection requests it makes; `down` sends them to a port nobody listens on. */
function countingFetch(deadUrl?: string) {
  const state = { calls: 0, down: false };
  const f: typeof fetch = (input, init) => {
    state.calls++;
    const url = String(input);
    return fetch(state.down && deadUrl ? url.replace(/^http:\/\/[^/]+/, deadUrl) : url, init);
  };
  return Object.assign(state, { fetch: f });
}

const apps: FastifyInstance[] = [];
/** A resource service of its own (not the authorization server's app), protected by the plugin. */
async function resourceApp(validate: ValidateToken): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(bearerAuth, { validate, realm: 'reports' });
  app.get('/reports', { preHandler: app.requireScope('foo') }, async (req) => req.bearer);
  app.get('/fo', { preHandler: app.requireScope('fo') }, async () => ({ ok: true }));
  app.get('/any', { preHandler: app.requireScope() }, async (req) => req.bearer);
  await app.ready();
  apps.push(app);
  return app;
}
const get = (app: FastifyInstance, url: string, token?: string | { header: string }) =>
  app.inject({
    url,
    headers: token === undefined ? {} : { authorization: typeof token === 'string' ? `Bearer ${token}` : token.header },
  });

let server: ServerProcess;
let shortLived: ServerProcess;
const remote = (extra: Partial<IntrospectionValidatorOptions> = {}) =>
  introspectionValidator({ issuer: server.url, clientId: 'reports-api', clientSecret: RS_SECRET, ...extra });

beforeAll(async () => {
  [server, shortLived] = await Promise.all([prepareServer(), prepareServer({ ACCESS_TOKEN_LIFETIME: '3' })]);
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all([server?.stop(), shortLived?.stop()]);
});

describe('bearerAuth with the introspection validator, against a running server', () => {
  it('lets an active token through with its scope, and reuses the answer', async () => {
    const counter = countingFetch();
    const app = await resourceApp(remote({ fetch: counter.fetch }));
    const token = await accessToken(server.url, 'foo bar');
    const before = Math.floor(Date.now() / 1000);
    const res = await get(app, '/reports', token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({ active: true, scope: 'foo bar', clientId: 'testclient', sub: 'testclient', exp: expect.any(Number) });
    expect(body.exp - before).toBeGreaterThan(3500);
    expect(counter.calls).toBe(1);
    expect((await get(app, '/reports', token)).statusCode).toBe(200);
    expect(counter.calls).toBe(1);

    const user = await tokens(server.url, { grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });
    const mine = (await get(app, '/any', user.access_token)).json();
    expect(mine).toMatchObject({ active: true, clientId: 'testclient', username: 'testuser@example.com' });
    expect(mine.scope.split(' ').sort()).toEqual(['bar', 'foo', 'qux']);
    expect(mine.sub).not.toBe('testclient');
  });

  it('answers a request without credentials with a bare challenge, and a malformed header with 400', async () => {
    const counter = countingFetch();
    const app = await resourceApp(remote({ fetch: counter.fetch }));
    const none = await get(app, '/reports');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="reports", error_description="a bearer token is required"');
    expect(none.headers['cache-control']).toBe('no-store');
    expect(none.json()).toEqual({ error: 'invalid_token', error_description: 'a bearer token is required' });
    for (const header of ['Basic dGVzdDp0ZXN0', 'Bearer two words', 'Bearer', 'Bearer tok"en']) {
      const bad = await get(app, '/reports', { header });
      expect(bad.statusCode, header).toBe(400);
      expect(bad.json().error).toBe('invalid_request');
      expect(bad.headers['www-authenticate']).toMatch(/^Bearer realm="reports", error="invalid_request"/);
    }
    expect(counter.calls).toBe(0);
  });

  it('answers 401 invalid_token for an unknown token, and never caches that answer', async () => {
    const counter = countingFetch();
    const validate = remote({ fetch: counter.fetch });
    const app = await resourceApp(validate);
    for (let i = 1; i <= 2; i++) {
      const res = await get(app, '/reports', 'not-a-real-token');
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="reports", error="invalid_token", error_description="the access token is invalid, expired or revoked"',
      );
      expect(counter.calls).toBe(i);
    }
    expect(validate.cache.size).toBe(0);
  });

  it('answers 403 insufficient_scope when the scope is missing, matching whole words only', async () => {
    const app = await resourceApp(remote());
    const res = await get(app, '/reports', await accessToken(server.url, 'bar'));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'insufficient_scope', error_description: 'the access token lacks the foo scope' });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="reports", error="insufficient_scope", error_description="the access token lacks the foo scope", scope="foo"',
    );
    const foo = await accessToken(server.url, 'foo');
    expect((await get(app, '/reports', foo)).statusCode).toBe(200);
    expect((await get(app, '/fo', foo)).statusCode).toBe(403);
  });

  it('does not accept a refresh token as a bearer token', async () => {
    const app = await resourceApp(remote());
    const { refresh_token } = await tokens(server.url, { grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });
    expect((await get(app, '/any', refresh_token!)).statusCode).toBe(401);
  });

  it('sees a revocation after at most the cache TTL (1 s), and at once with TTL 0', async () => {
    const validate = remote({ cacheTtlSeconds: 1 });
    const app = await resourceApp(validate);
    const token = await accessToken(server.url, 'foo');
    expect((await get(app, '/reports', token)).statusCode).toBe(200);
    const cachedNoLaterThan = Date.now();
    await revoke(server.url, token);
    await sleepUntil(cachedNoLaterThan + 1000 + 5);
    expect((await get(app, '/reports', token)).statusCode).toBe(401);
    expect(validate.cache.size).toBe(0);

    const uncached = remote({ cacheTtlSeconds: 0 });
    const app0 = await resourceApp(uncached);
    const other = await accessToken(server.url, 'foo');
    expect((await get(app0, '/reports', other)).statusCode).toBe(200);
    expect(uncached.cache.size).toBe(0);
    await revoke(server.url, other);
    expect((await get(app0, '/reports', other)).statusCode).toBe(401);
  });

  it('serves the cached answer for a revoked token until the TTL ends, not a millisecond longer (fake clock)', async () => {
    let now = Date.now();
    const counter = countingFetch();
    const app = await resourceApp(remote({ fetch: counter.fetch, cacheTtlSeconds: 1, now: () => now }));
    const token = await accessToken(server.url, 'foo');
    expect((await get(app, '/reports', token)).statusCode).toBe(200);
    await revoke(server.url, token);
    now += 999;
    // Within the bound the cached answer still stands: that is what the TTL trades for fewer calls.
    expect((await get(app, '/reports', token)).statusCode).toBe(200);
    expect(counter.calls).toBe(1);
    now += 1;
    expect((await get(app, '/reports', token)).statusCode).toBe(401);
    expect(counter.calls).toBe(2);
  });

  it('never serves a cached answer past the token expiry', async () => {
    const counter = countingFetch();
    // A 30 s TTL, for tokens that live 3 s (ACCESS_TOKEN_LIFETIME=3).
    const validate = introspectionValidator({ issuer: shortLived.url, clientId: 'reports-api', clientSecret: RS_SECRET, fetch: counter.fetch });
    const app = await resourceApp(validate);
    const token = await accessToken(shortLived.url, 'foo');
    const res = await get(app, '/reports', token);
    expect(res.statusCode).toBe(200);
    expect(validate.cache.size).toBe(1);
    const { exp } = res.json() as { exp: number };
    expect((await get(app, '/reports', token)).statusCode).toBe(200);
    expect(counter.calls).toBe(1);
    await sleepUntil(exp * 1000 + 20);
    const expired = await get(app, '/reports', token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toBe('invalid_token');
    expect(counter.calls).toBe(2);
    expect(validate.cache.size).toBe(0);
  });

  it("shows another client's token to a resource-server client, not to a plain client", async () => {
    const token = await accessToken(server.url, 'foo');
    const asResourceServer = await resourceApp(remote());
    const asPlainClient = await resourceApp(remote({ clientId: 'plain-api', clientSecret: 'plain-secret' }));
    expect((await get(asResourceServer, '/reports', token)).statusCode).toBe(200);
    expect((await get(asPlainClient, '/reports', token)).statusCode).toBe(401);
    // The plain client does see its own tokens.
    const plainBasic = `Basic ${Buffer.from('plain-api:plain-secret').toString('base64')}`;
    const own = await tokens(server.url, { grant_type: 'client_credentials', scope: 'foo' }, plainBasic);
    expect((await get(asPlainClient, '/reports', own.access_token)).statusCode).toBe(200);
  });

  it('answers 503 when the server is down and caches nothing, then works when it is back', async () => {
    const token = await accessToken(server.url, 'foo');
    const counter = countingFetch(`http://127.0.0.1:${await freePort()}`);
    const validate = remote({ fetch: counter.fetch });
    const app = await resourceApp(validate);
    counter.down = true;
    const res = await get(app, '/reports', token);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the access token cannot be validated now; try again' });
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(validate.cache.size).toBe(0);
    counter.down = false;
    expect((await get(app, '/reports', token)).statusCode).toBe(200);
    expect(counter.calls).toBe(2);
    expect(validate.cache.size).toBe(1);
  });

  it('answers 503, caching nothing, when introspection fails or answers nonsense', async () => {
    const token = await accessToken(server.url, 'foo');
    const wrongSecret = remote({ clientSecret: 'not-the-secret' });
    const app = await resourceApp(wrongSecret);
    expect((await get(app, '/reports', token)).statusCode).toBe(503);
    expect(wrongSecret.cache.size).toBe(0);

    for (const [status, body] of [
      [200, 'not json'],
      [200, '{"active":"yes"}'],
      [200, '{"active":true}'],
      [500, '{"active":true,"scope":"foo","client_id":"c","sub":"c","exp":9999999999}'],
    ] as const) {
      const fake: typeof fetch = async () => new Response(body, { status, headers: { 'content-type': 'application/json' } });
      const validate = remote({ fetch: fake });
      const res = await get(await resourceApp(validate), '/reports', token);
      expect(res.statusCode, body).toBe(503);
      expect(validate.cache.size).toBe(0);
    }
  });

  it('is importable as es-oauth2-server/resource (package exports, built dist)', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('es-oauth2-server/resource'); console.log(Object.keys(m).sort().join(' '))"],
      { cwd: root },
    );
    expect(stdout.trim().split(' ')).toEqual(expect.arrayContaining(['bearerAuth', 'introspectionValidator', 'readModelValidator']));
  });
});

describe('TokenCache', () => {
  const clock = () => {
    let t = 1_700_000_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };
  const farExp = 4_000_000_000;

  it('keeps an answer for the TTL', () => {
    const c = clock();
    const cache = new TokenCache<{ exp: number }>({ ttlSeconds: 30, maxEntries: 10, now: c.now });
    cache.put('t', { exp: farExp });
    c.advance(29_999);
    expect(cache.get('t')).toEqual({ exp: farExp });
    c.advance(1);
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never keeps an answer past the token exp', () => {
    const c = clock();
    const cache = new TokenCache<{ exp: number }>({ ttlSeconds: 30, maxEntries: 10, now: c.now });
    const exp = c.now() / 1000 + 2;
    cache.put('t', { exp });
    c.advance(1_999);
    expect(cache.get('t')).toEqual({ exp });
    c.advance(1);
    expect(cache.get('t')).toBeUndefined();
    cache.put('expired', { exp: c.now() / 1000 });
    expect(cache.size).toBe(0);
  });

  it('keeps nothing with TTL 0', () => {
    const cache = new TokenCache<{ exp: number }>({ ttlSeconds: 0, maxEntries: 10 });
    cache.put('t', { exp: farExp });
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const c = clock();
    const cache = new TokenCache<{ exp: number; n: number }>({ ttlSeconds: 30, maxEntries: 20, now: c.now });
    for (let n = 1; n <= 20; n++) cache.put(`t${n}`, { exp: farExp, n });
    expect(cache.get('t13')?.n).toBe(13); // used: now more recent than t14 to t20
    for (let n = 21; n <= 29; n++) cache.put(`t${n}`, { exp: farExp, n });
    expect(cache.size).toBeLessThanOrEqual(20);
    expect([cache.get('t1'), cache.get('t14'), cache.get('t20')]).toEqual([undefined, undefined, undefined]);
    expect([cache.get('t13')?.n, cache.get('t29')?.n]).toEqual([13, 29]);
    for (let n = 30; n < 100; n++) cache.put(`t${n}`, { exp: farExp, n });
    expect(cache.size).toBeLessThanOrEqual(20);
    expect(cache.get('t99')?.n).toBe(99);
  });
});

describe('readModelValidator, for a service that shares the store', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
    await registerClient(
      s.runtime.ctx,
      { clientId: 'reports-api', name: 'Reports', secret: RS_SECRET, redirectUris: [], grantTypes: ['client_credentials'], allowedScopes: null, resourceServer: true },
      {},
    );
    await s.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => s?.close());
  const issued = async (fields: Record<string, string>) => (await s.token(fields)).json() as { access_token: string; refresh_token?: string };

  it('validates from the read models, with the same answers as introspection', async () => {
    const local = readModelValidator(s.runtime.reads);
    const address = s.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const viaServer = introspectionValidator({ issuer: `http://127.0.0.1:${port}`, clientId: 'reports-api', clientSecret: RS_SECRET, cacheTtlSeconds: 0 });

    const cc = (await issued({ grant_type: 'client_credentials', scope: 'foo' })).access_token;
    const pw = await issued({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });
    expect(await local(cc)).toEqual({ active: true, scope: 'foo', clientId: 'testclient', sub: 'testclient', exp: expect.any(Number) });
    expect(await local(pw.access_token)).toMatchObject({ active: true, clientId: 'testclient', username: 'testuser@example.com' });
    for (const token of [cc, pw.access_token, pw.refresh_token!, 'not-a-real-token']) {
      expect(await local(token)).toEqual(await viaServer(token));
    }
    expect(await local(pw.refresh_token!)).toEqual({ active: false });
    expect(await local('not-a-real-token')).toEqual({ active: false });
  });

  it('sees a revocation at once and an expiry by the clock, and works in the plugin', async () => {
    const app = await resourceApp(readModelValidator(s.runtime.reads));
    const token = (await issued({ grant_type: 'client_credentials', scope: 'foo' })).access_token;
    const ok = await get(app, '/reports', token);
    expect(ok.statusCode).toBe(200);
    const { exp } = ok.json() as { exp: number };
    expect((await readModelValidator(s.runtime.reads, { now: () => exp })(token)).active).toBe(false);
    expect((await get(app, '/fo', token)).statusCode).toBe(403);
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/revoke',
      headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ token }),
    });
    expect(res.statusCode).toBe(200);
    expect((await get(app, '/reports', token)).statusCode).toBe(401);
  });
});
