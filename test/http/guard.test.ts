import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticationRequired } from '../../src/http/guard.js';
import { startTestServer, type TestServer } from '../support/app.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({}, {
    extend(app, runtime) {
      app.get('/needs-foo', { preHandler: authenticationRequired(runtime.reads, 'foo') }, async (req) => ({ scope: req.token!.scope }));
      app.get('/needs-fo', { preHandler: authenticationRequired(runtime.reads, 'fo') }, async () => ({ ok: true }));
    },
  });
});
afterAll(() => s.close());

const get = (url: string, authorization?: string) =>
  s.app.inject({ url, headers: authorization ? { authorization } : {} });
const tokenFor = async (scope: string) => (await s.token({ grant_type: 'client_credentials', scope })).json().access_token as string;

describe('authenticationRequired(scope)', () => {
  it('lets a token with the scope through', async () => {
    const res = await get('/needs-foo', `Bearer ${await tokenFor('foo bar')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ scope: 'foo bar' });
  });

  it('answers 403 insufficient_scope when the scope is missing', async () => {
    const res = await get('/needs-foo', `Bearer ${await tokenFor('bar')}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('insufficient_scope');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="insufficient_scope".*scope="foo"/);
  });

  it('matches a scope as a whole word, never as a substring', async () => {
    const res = await get('/needs-fo', `Bearer ${await tokenFor('foo')}`);
    expect(res.statusCode).toBe(403);
  });

  it('answers 401 with a Bearer challenge without a token, and invalid_token for a bad one', async () => {
    const none = await get('/needs-foo');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="oauth2", error_description="a bearer token is required"');
    const bad = await get('/needs-foo', 'Bearer not-a-real-token');
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('invalid_token');
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses a malformed Authorization header with 400 invalid_request', async () => {
    const res = await get('/needs-foo', 'Basic dGVzdDp0ZXN0');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });

  it('does not accept a refresh token as a bearer token', async () => {
    const { refresh_token } = (
      await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })
    ).json();
    expect((await get('/needs-foo', `Bearer ${refresh_token}`)).statusCode).toBe(401);
  });
});

describe('revocation (RFC 7009)', () => {
  const revoke = (token: string, auth = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`) =>
    s.app.inject({
      method: 'POST',
      url: '/api/v1/revoke',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(token)}`,
    });

  it('makes an access token unusable the moment the response is sent', async () => {
    const token = await tokenFor('foo');
    expect((await revoke(token)).statusCode).toBe(200);
    expect((await get('/needs-foo', `Bearer ${token}`)).statusCode).toBe(401);
  });

  it('revoking a refresh token ends its whole grant', async () => {
    const t = (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })).json();
    expect((await revoke(t.refresh_token)).statusCode).toBe(200);
    expect((await get('/needs-foo', `Bearer ${t.access_token}`)).statusCode).toBe(401);
    expect((await s.token({ grant_type: 'refresh_token', refresh_token: t.refresh_token })).json().error).toBe('invalid_grant');
  });

  it('answers 200 for an unknown token, and 401 to an unauthenticated caller', async () => {
    expect((await revoke('unknown')).statusCode).toBe(200);
    expect((await revoke('unknown', 'Basic eDp5')).statusCode).toBe(401);
  });
});
