import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/commands/register-client.js';
import { openRuntime } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { BASIC, form, startTestServer, type TestServer } from '../support/app.js';
import { testStoreEnv } from '../support/stores.js';

let s: TestServer;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const RS = basic('reports-api', 'rs-secret');
const PLAIN = basic('plain', 'plain-secret');
beforeAll(async () => {
  s = await startTestServer({ ISSUER: 'https://auth.example.test' });
  const base = { redirectUris: [], grantTypes: ['client_credentials' as const], allowedScopes: null };
  await registerClient(s.runtime.ctx, { ...base, clientId: 'reports-api', name: 'Reports API', secret: 'rs-secret', resourceServer: true }, {});
  await registerClient(s.runtime.ctx, { ...base, clientId: 'plain', name: 'Plain', secret: 'plain-secret', resourceServer: false }, {});
});
afterAll(() => s.close());

const introspect = (token: string, auth: string | null = BASIC, extra: Record<string, string> = {}, app = s.app) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    payload: form({ token, ...extra }),
  });

describe('introspection (RFC 7662)', () => {
  it('describes an active user token to the client it was issued to', async () => {
    const t = (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword', scope: 'foo bar' })).json();
    const res = await introspect(t.access_token, BASIC, { token_type_hint: 'access_token' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({
      active: true,
      scope: 'foo bar',
      client_id: 'testclient',
      username: 'testuser@example.com',
      token_type: 'Bearer',
      iss: 'https://auth.example.test',
    });
    expect(body.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.exp - body.iat).toBe(3600);
    expect(Math.abs(body.iat - Date.now() / 1000)).toBeLessThan(60);
  });

  it('gives a client-credentials token the client as sub and no username', async () => {
    const t = (await s.token({ grant_type: 'client_credentials' })).json();
    const body = (await introspect(t.access_token)).json();
    expect(body).toMatchObject({ active: true, sub: 'testclient', client_id: 'testclient' });
    expect(body).not.toHaveProperty('username');
  });

  it('lets a resource server introspect any token, and a plain client only its own', async () => {
    const t = (await s.token({ grant_type: 'client_credentials' })).json();
    expect((await introspect(t.access_token, RS)).json().active).toBe(true);
    expect((await introspect(t.access_token, PLAIN)).json()).toEqual({ active: false });
  });

  it('answers exactly {"active": false} for unknown, revoked and rotated tokens', async () => {
    const t = (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })).json();
    expect((await introspect(t.refresh_token)).json()).toMatchObject({ active: true, token_type: 'refresh_token' });
    await s.token({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect((await introspect(t.refresh_token)).json()).toEqual({ active: false });
    expect((await introspect('no-such-token')).json()).toEqual({ active: false });
    const c = (await s.token({ grant_type: 'client_credentials' })).json();
    await s.app.inject({
      method: 'POST',
      url: '/api/v1/revoke',
      headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ token: c.access_token }),
    });
    expect((await introspect(c.access_token)).json()).toEqual({ active: false });
  });

  it('tells a rotated refresh token from its successor, also in a process that has not seen the family', async () => {
    const first = (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })).json();
    const second = (await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).json();
    expect((await introspect(first.refresh_token)).json()).toEqual({ active: false });
    expect((await introspect(second.refresh_token)).json()).toMatchObject({ active: true, token_type: 'refresh_token' });

    // Another process on the same store (a worker, or this server after a restart): its cache of
    // token families is empty, so it reads the family's stream.
    const config = loadConfig({ DATA_DIR: s.dataDir, LOG_LEVEL: 'silent', ISSUER: 'https://auth.example.test', ...testStoreEnv() });
    const runtime = await openRuntime(config, pino({ level: 'silent' }), { checkpointWal: false });
    const other = buildApp(runtime);
    try {
      expect((await introspect(first.refresh_token, BASIC, {}, other)).json()).toEqual({ active: false });
      expect((await introspect(second.refresh_token, BASIC, {}, other)).json()).toMatchObject({ active: true, client_id: 'testclient' });
      // Revoked in the first process: inactive in the other at once.
      await s.app.inject({
        method: 'POST',
        url: '/api/v1/revoke',
        headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ token: second.refresh_token }),
      });
      expect((await introspect(second.refresh_token, BASIC, {}, other)).json()).toEqual({ active: false });
    } finally {
      await other.close();
      await runtime.close();
    }
  });

  it('requires client authentication (401) and a token parameter (400)', async () => {
    const t = (await s.token({ grant_type: 'client_credentials' })).json();
    const anonymous = await introspect(t.access_token, null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error).toBe('invalid_client');
    const wrong = await introspect(t.access_token, basic('testclient', 'nope'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    const missing = await s.app.inject({
      method: 'POST',
      url: '/api/v1/introspect',
      headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('invalid_request');
  });
});

describe('metadata (RFC 8414) and OpenAPI', () => {
  it('publishes the issuer, endpoints and capabilities', async () => {
    const res = await s.app.inject({ url: '/.well-known/oauth-authorization-server' });
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m).toMatchObject({
      issuer: 'https://auth.example.test',
      authorization_endpoint: 'https://auth.example.test/web/authorize/',
      token_endpoint: 'https://auth.example.test/api/v1/tokens/',
      introspection_endpoint: 'https://auth.example.test/api/v1/introspect',
      revocation_endpoint: 'https://auth.example.test/api/v1/revoke',
      response_types_supported: ['code', 'token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    });
    expect(m.grant_types_supported).toEqual(['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token']);
    expect(m.scopes_supported).toEqual(['bar', 'foo', 'qux']);
  });

  it('serves an OpenAPI 3.1 document of the JSON and form endpoints', async () => {
    const res = await s.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/.well-known/oauth-authorization-server',
        '/api/v1/audit/clients/{id}',
        '/api/v1/audit/grants/{id}',
        '/api/v1/introspect',
        '/api/v1/revoke',
        '/api/v1/tokens/',
      ].sort(),
    );
    const token = doc.paths['/api/v1/tokens/'].post;
    expect(Object.keys(token.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(token.requestBody.content['application/x-www-form-urlencoded'].schema.required).toEqual(['grant_type']);
    expect(token.responses['200'].content['application/json'].schema.required).toContain('access_token');
  });
});

describe('REQUIRE_PKCE', () => {
  it('requires a code_challenge from confidential clients too', async () => {
    const t = await startTestServer({ REQUIRE_PKCE: 'true' });
    try {
      const res = await t.app.inject({ url: '/web/authorize/?response_type=code&client_id=testclient&state=q' });
      expect(res.statusCode).toBe(302);
      const url = new URL(res.headers.location as string);
      expect(url.searchParams.get('error')).toBe('invalid_request');
      expect(url.searchParams.get('error_description')).toContain('PKCE');
    } finally {
      await t.close();
    }
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await s.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await s.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', projectionLagSeconds: 0 });
  });
});
