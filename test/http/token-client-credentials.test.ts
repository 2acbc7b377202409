import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/commands/register-client.js';
import { BASIC, startTestServer, type TestServer } from '../support/app.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await registerClient(
    s.runtime.ctx,
    {
      clientId: 'odd client:1',
      name: 'Odd',
      secret: 'p@ss:w%rd é',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      allowedScopes: ['foo'],
      resourceServer: false,
    },
    {},
  );
});
afterAll(() => s.close());

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('client_credentials grant', () => {
  it('issues a bearer token for HTTP Basic credentials, as the seed README curl does', async () => {
    const res = await s.token({ grant_type: 'client_credentials' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'bar foo qux' });
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(body).not.toHaveProperty('refresh_token');
  });

  it('accepts client_id and client_secret in the body', async () => {
    const res = await s.token({ grant_type: 'client_credentials', client_id: 'testclient', client_secret: 'testpassword' }, null);
    expect(res.statusCode).toBe(200);
  });

  it('decodes form-encoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    const res = await s.token({ grant_type: 'client_credentials' }, basic('odd client:1', 'p@ss:w%rd é'));
    expect(res.statusCode).toBe(200);
    expect(res.json().scope).toBe('foo');
  });

  it('refuses two authentication methods at once', async () => {
    const res = await s.token({ grant_type: 'client_credentials', client_id: 'testclient', client_secret: 'testpassword' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });

  it('answers 401 invalid_client with WWW-Authenticate: Basic for a wrong Basic secret', async () => {
    const res = await s.token({ grant_type: 'client_credentials' }, basic('testclient', 'nope'));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('answers 401 invalid_client for a wrong body secret, an unknown client, or none at all', async () => {
    for (const [fields, auth] of [
      [{ client_id: 'testclient', client_secret: 'nope' }, null],
      [{ client_id: 'ghost', client_secret: 'x' }, null],
      [{}, null],
      [{}, 'Basic !!!'],
      [{}, `Basic ${Buffer.from('no-colon').toString('base64')}`],
    ] as const) {
      const res = await s.token({ grant_type: 'client_credentials', ...fields }, auth);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('invalid_client');
    }
  });

  it('limits a client to its allowed scopes and grant types', async () => {
    const auth = basic('odd client:1', 'p@ss:w%rd é');
    const wide = await s.token({ grant_type: 'client_credentials', scope: 'foo bar' }, auth);
    expect(wide.statusCode).toBe(400);
    expect(wide.json().error).toBe('invalid_scope');
    const pw = await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' }, auth);
    expect(pw.statusCode).toBe(400);
    expect(pw.json().error).toBe('unauthorized_client');
  });

  it('grants exactly the requested scopes, case-sensitively', async () => {
    expect((await s.token({ grant_type: 'client_credentials', scope: 'qux foo' })).json().scope).toBe('qux foo');
    const upper = await s.token({ grant_type: 'client_credentials', scope: 'FOO' });
    expect(upper.statusCode).toBe(400);
    expect(upper.json().error).toBe('invalid_scope');
    const unknown = await s.token({ grant_type: 'client_credentials', scope: 'foo nope' });
    expect(unknown.json().error).toBe('invalid_scope');
  });

  it('makes the token usable the moment the response is sent', async () => {
    const { access_token } = (await s.token({ grant_type: 'client_credentials' })).json();
    const me = await s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${access_token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ client_id: 'testclient', username: null, scope: 'bar foo qux' });
  });

  it('keeps the seed URL working without the trailing slash', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('IGNORE_CLIENT_REQUESTED_SCOPE', () => {
  it('grants the default scopes whatever the client asked for', async () => {
    const t = await startTestServer({ IGNORE_CLIENT_REQUESTED_SCOPE: 'true' });
    try {
      const res = await t.token({ grant_type: 'client_credentials', scope: 'foo' });
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe('bar foo qux');
    } finally {
      await t.close();
    }
  });
});
