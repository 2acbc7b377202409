import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/commands/register-client.js';
import { startTestServer, type TestServer } from '../support/app.js';

let s: TestServer;
const OTHER = `Basic ${Buffer.from('other:othersecret').toString('base64')}`;
beforeAll(async () => {
  s = await startTestServer();
  await registerClient(
    s.runtime.ctx,
    {
      clientId: 'other',
      name: 'Other',
      secret: 'othersecret',
      redirectUris: [],
      grantTypes: ['password', 'refresh_token'],
      allowedScopes: null,
      resourceServer: false,
    },
    {},
  );
});
afterAll(() => s.close());

const password = (extra: Record<string, string> = {}) =>
  s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword', ...extra });
const me = (token: string) => s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

describe('password grant', () => {
  it('issues an access and a refresh token, as the seed README curl does', async () => {
    const res = await password();
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'bar foo qux' });
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect((await me(body.access_token)).json().username).toBe('testuser@example.com');
  });

  it('answers the same invalid_grant for a wrong password and an unknown user', async () => {
    const wrong = await password({ password: 'nope' });
    const unknown = await password({ username: 'nobody@example.com' });
    expect(wrong.statusCode).toBe(400);
    expect(unknown.statusCode).toBe(400);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().error).toBe('invalid_grant');
  });

  it('needs username and password', async () => {
    const res = await s.token({ grant_type: 'password', username: 'testuser@example.com' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });
});

describe('refresh_token grant', () => {
  it('rotates the refresh token: the new one works, the old one no longer does', async () => {
    const first = (await password()).json();
    const second = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(second.statusCode).toBe(200);
    const body = second.json();
    expect(body.refresh_token).not.toBe(first.refresh_token);
    expect(body.scope).toBe('bar foo qux');
    expect((await me(body.access_token)).statusCode).toBe(200);
    // Within REFRESH_REUSE_GRACE a repeat answers the same successor; later it is reuse (test/http/refresh-reuse.test.ts).
    const again = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(again.json().refresh_token).toBe(body.refresh_token);
    const third = await s.token({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    expect(third.statusCode).toBe(200);
  });

  it('may narrow the scope, never widen it beyond the original grant', async () => {
    const first = (await password({ scope: 'foo bar' })).json();
    const narrow = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: 'foo' });
    expect(narrow.json().scope).toBe('foo');
    // Back to the original scope is not widening: it is what the user granted.
    const back = await s.token({ grant_type: 'refresh_token', refresh_token: narrow.json().refresh_token, scope: 'foo bar' });
    expect(back.statusCode).toBe(200);
    const wide = await s.token({ grant_type: 'refresh_token', refresh_token: back.json().refresh_token, scope: 'foo qux' });
    expect(wide.statusCode).toBe(400);
    expect(wide.json().error).toBe('invalid_scope');
  });

  it('is bound to the client it was issued to', async () => {
    const first = (await password()).json();
    const res = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, OTHER);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
    expect((await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode).toBe(200);
  });

  it('refuses unknown tokens, access tokens, and a missing one', async () => {
    const first = (await password()).json();
    for (const refresh_token of ['not-a-token', first.access_token]) {
      const res = await s.token({ grant_type: 'refresh_token', refresh_token });
      expect(res.json().error).toBe('invalid_grant');
    }
    expect((await s.token({ grant_type: 'refresh_token' })).json().error).toBe('invalid_request');
  });

  it('gives several concurrent refreshes of one token the one successor', async () => {
    const first = (await password()).json();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })),
    );
    for (const r of results) expect(r.statusCode).toBe(200);
    expect(new Set(results.map((r) => r.json().refresh_token)).size).toBe(1);
  });
});

describe('expiry', () => {
  it('stops honouring access and refresh tokens once their lifetime is over', async () => {
    const t = await startTestServer({ ACCESS_TOKEN_LIFETIME: '1', REFRESH_TOKEN_LIFETIME: '1' });
    try {
      const body = (
        await t.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })
      ).json();
      expect(body.expires_in).toBe(1);
      await new Promise((r) => setTimeout(r, 2100));
      const res = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${body.access_token}` } });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      const refresh = await t.token({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
      expect(refresh.json()).toMatchObject({ error: 'invalid_grant', error_description: 'refresh token has expired' });
    } finally {
      await t.close();
    }
  });
});
