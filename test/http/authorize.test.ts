import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { revokeConsent, userIdByUsername } from '../../src/commands/consent.js';
import { registerClient } from '../../src/commands/register-client.js';
import { s256 } from '../../src/security/tokens.js';
import { startTestServer, type TestServer } from '../support/app.js';
import { checkboxValues, InjectBrowser, redirectParams } from '../support/browser.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  const base = { secret: null, allowedScopes: null, resourceServer: false };
  await registerClient(s.runtime.ctx, { ...base, clientId: 'spa', name: 'Single Page App', redirectUris: ['http://localhost:3000/cb', 'http://localhost:3000/cb2'], grantTypes: ['authorization_code', 'refresh_token'] }, {});
  await registerClient(s.runtime.ctx, { ...base, clientId: 'codeonly', name: 'Code Only', secret: 'codesecret', redirectUris: ['https://app.example/cb?tenant=7'], grantTypes: ['authorization_code'] }, {});
});
afterAll(() => s.close());
// Allow is remembered (test/http/consent.test.ts): forget it, so that every test sees the consent page.
afterEach(async () => {
  const userId = (await userIdByUsername(s.runtime.ctx.events, 'testuser@example.com'))!;
  for (const clientId of ['testclient', 'codeonly']) await revokeConsent(s.runtime.ctx, { userId, clientId }, {});
});

const SEED_URL =
  '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com&state=somestate';

/** Walks login and consent like a person, returning the consent page response. */
async function signIn(browser: InjectBrowser, url: string) {
  const login = await browser.get(url);
  expect(login.statusCode).toBe(200);
  const afterLogin = await browser.submit(login, '/web/login', { username: 'testuser@example.com', password: 'testpassword' });
  expect(afterLogin.statusCode).toBe(303);
  const consent = await browser.get(afterLogin.headers.location as string);
  expect(consent.statusCode).toBe(200);
  return consent;
}

async function authorize(url: string, decision = 'allow', allow?: string[]) {
  const browser = new InjectBrowser(s.app);
  const consent = await signIn(browser, url);
  const res = await browser.submit(consent, '/web/authorize/', {
    decision,
    allow_scope: allow ?? checkboxValues(consent.body, 'allow_scope'),
  });
  return { browser, consent, res };
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  s.token({ grant_type: 'authorization_code', code, redirect_uri: 'https://www.example.com', ...extra });
const me = (token: string) => s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

describe('authorization code flow (the seed README walk-through)', () => {
  it('shows a login form with a CSRF token and a session cookie', async () => {
    const res = await new InjectBrowser(s.app).get(SEED_URL);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('name="username"');
    expect(res.body).toContain('name="password"');
    expect(res.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect(res.body).toContain('Test Client');
    const cookie = res.cookies.find((c) => c.name === 'oauth2_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(cookie?.secure).toBeFalsy();
  });

  it('names the client and lists the scopes with descriptions on the consent page', async () => {
    const consent = await signIn(new InjectBrowser(s.app), SEED_URL);
    expect(consent.body).toContain('Test Client');
    expect(consent.body).toContain('testuser@example.com');
    for (const text of ['foo', 'Read your foo', 'bar', 'Change your bar', 'qux', 'Use qux on your behalf']) {
      expect(consent.body).toContain(text);
    }
    expect(consent.body).toMatch(/value="allow"[^>]*>Allow</);
    expect(consent.body).toMatch(/value="deny"[^>]*>Deny</);
  });

  it('redirects with code and state on Allow; the code buys tokens once', async () => {
    const { res } = await authorize(SEED_URL);
    expect(res.statusCode).toBe(303);
    const { url, query } = redirectParams(res);
    expect(url.origin).toBe('https://www.example.com');
    expect(query.get('state')).toBe('somestate');
    const code = query.get('code')!;
    const tokens = await exchange(code);
    expect(tokens.statusCode).toBe(200);
    expect(tokens.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'bar foo qux' });
    expect(tokens.json().refresh_token).toBeTruthy();
    expect((await me(tokens.json().access_token)).json().username).toBe('testuser@example.com');
  });

  it('a second use of a code fails and revokes the tokens the code issued', async () => {
    const code = redirectParams((await authorize(SEED_URL)).res).query.get('code')!;
    const first = (await exchange(code)).json();
    const replay = await exchange(code);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toBe('invalid_grant');
    expect((await me(first.access_token)).statusCode).toBe(401);
    const refresh = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refresh.json().error).toBe('invalid_grant');
  });

  it('lets exactly one of several concurrent exchanges of one code win', async () => {
    const code = redirectParams((await authorize(SEED_URL)).res).query.get('code')!;
    const results = await Promise.all(Array.from({ length: 4 }, () => exchange(code)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 200)) expect(r.json().error).toBe('invalid_grant');
  });

  it('binds the code to its client and redirect_uri', async () => {
    const code = redirectParams((await authorize(SEED_URL)).res).query.get('code')!;
    const other = `Basic ${Buffer.from('codeonly:codesecret').toString('base64')}`;
    expect((await s.token({ grant_type: 'authorization_code', code, redirect_uri: 'https://www.example.com' }, other)).json().error).toBe('invalid_grant');
    expect((await exchange(code, { redirect_uri: 'https://www.example.com/other' })).json().error).toBe('invalid_grant');
    // redirect_uri was in the authorization request, so it is required here (RFC 6749 §4.1.3).
    expect((await s.token({ grant_type: 'authorization_code', code })).json().error).toBe('invalid_grant');
    expect((await exchange(code)).statusCode).toBe(200);
  });

  it('grants only the scopes the user left ticked', async () => {
    const { res } = await authorize(SEED_URL, 'allow', ['foo']);
    const tokens = (await exchange(redirectParams(res).query.get('code')!)).json();
    expect(tokens.scope).toBe('foo');
  });

  it('redirects with access_denied and the state on Deny', async () => {
    const { res } = await authorize(SEED_URL, 'deny');
    const { query } = redirectParams(res);
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('somestate');
    expect(query.has('code')).toBe(false);
  });

  it('uses the only registered redirect URI when none is given, keeping its query', async () => {
    const browser = new InjectBrowser(s.app);
    const consent = await signIn(browser, '/web/authorize?response_type=code&client_id=codeonly&state=s1');
    const res = await browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: ['foo'] });
    const { url, query } = redirectParams(res);
    expect(`${url.origin}${url.pathname}`).toBe('https://app.example/cb');
    expect(query.get('tenant')).toBe('7');
    const auth = `Basic ${Buffer.from('codeonly:codesecret').toString('base64')}`;
    const tokens = await s.token({ grant_type: 'authorization_code', code: query.get('code')! }, auth);
    expect(tokens.statusCode).toBe(200);
    expect(tokens.json()).not.toHaveProperty('refresh_token');
  });

  it('expires codes after AUTH_CODE_LIFETIME', async () => {
    const t = await startTestServer({ AUTH_CODE_LIFETIME: '1' });
    try {
      const browser = new InjectBrowser(t.app);
      const login = await browser.get(SEED_URL);
      await browser.submit(login, '/web/login', { username: 'testuser@example.com', password: 'testpassword' });
      const consent = await browser.get(SEED_URL);
      const res = await browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: 'foo' });
      await new Promise((r) => setTimeout(r, 2100));
      const tokens = await t.token({ grant_type: 'authorization_code', code: redirectParams(res).query.get('code')!, redirect_uri: 'https://www.example.com' });
      expect(tokens.json()).toMatchObject({ error: 'invalid_grant', error_description: 'authorization code has expired' });
    } finally {
      await t.close();
    }
  });
});

describe('implicit flow', () => {
  it('returns the access token in the fragment, with no refresh token', async () => {
    const { res } = await authorize(SEED_URL.replace('response_type=code', 'response_type=token'));
    expect(res.statusCode).toBe(303);
    const { url, query, fragment } = redirectParams(res);
    expect(url.origin).toBe('https://www.example.com');
    expect([...query.keys()]).toEqual([]);
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('expires_in')).toBe('3600');
    expect(fragment.get('scope')).toBe('bar foo qux');
    expect(fragment.get('state')).toBe('somestate');
    expect(fragment.has('refresh_token')).toBe(false);
    expect((await me(fragment.get('access_token')!)).statusCode).toBe(200);
  });

  it('puts errors in the fragment too', async () => {
    const { res } = await authorize(SEED_URL.replace('response_type=code', 'response_type=token'), 'deny');
    expect(redirectParams(res).fragment.get('error')).toBe('access_denied');
  });

  it('answers unauthorized_client for a client without the implicit grant', async () => {
    const res = await s.app.inject({ url: '/web/authorize/?response_type=token&client_id=codeonly&state=z' });
    expect(res.statusCode).toBe(302);
    const { fragment } = redirectParams(res);
    expect(fragment.get('error')).toBe('unauthorized_client');
    expect(fragment.get('state')).toBe('z');
  });
});

describe('authorization request errors', () => {
  it('shows an error page, never a redirect, for an unknown client or an unregistered redirect URI', async () => {
    for (const url of [
      '/web/authorize/?response_type=code&client_id=ghost&redirect_uri=https://evil.example',
      '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://evil.example',
      '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com/',
      '/web/authorize/?response_type=code&redirect_uri=https://www.example.com',
      '/web/authorize/?response_type=code&client_id=spa&code_challenge=x',
    ]) {
      const res = await s.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers.location, url).toBeUndefined();
      expect(res.headers['content-type']).toContain('text/html');
    }
  });

  it('redirects other errors with error, error_description and state', async () => {
    const cases = [
      ['response_type=bogus', 'unsupported_response_type'],
      ['', 'invalid_request'],
      ['response_type=code&scope=nope', 'invalid_scope'],
      ['response_type=code&code_challenge_method=plain&code_challenge=' + 'a'.repeat(43), 'invalid_request'],
    ];
    for (const [params, error] of cases) {
      const res = await s.app.inject({ url: `/web/authorize/?client_id=testclient&state=st&${params}` });
      expect(res.statusCode, params).toBe(302);
      const { query } = redirectParams(res);
      expect(query.get('error'), params).toBe(error);
      expect(query.get('error_description')).toBeTruthy();
      expect(query.get('state')).toBe('st');
    }
  });

  it('refuses a malformed query with an error page', async () => {
    for (const q of ['client_id=testclient&client_id=x&response_type=code', 'client_id=%zz', 'client_id=%FF']) {
      const res = await s.app.inject({ url: `/web/authorize/?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.headers.location).toBeUndefined();
    }
  });
});

describe('login and consent forms', () => {
  it('refuses a wrong password with the login form again', async () => {
    const browser = new InjectBrowser(s.app);
    const login = await browser.get(SEED_URL);
    const res = await browser.submit(login, '/web/login', { username: 'testuser@example.com', password: 'wrong' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('do not match');
    expect(res.body).toContain('name="password"');
  });

  it('refuses forms without a valid CSRF token', async () => {
    const browser = new InjectBrowser(s.app);
    const login = await browser.get(SEED_URL);
    const res = await browser.submit(login, '/web/login', { _csrf: 'forged', username: 'testuser@example.com', password: 'testpassword' });
    expect(res.statusCode).toBe(403);
    const consent = await signIn(browser, SEED_URL);
    // A token from another session does not count either.
    const other = await signIn(new InjectBrowser(s.app), SEED_URL);
    const foreign = /name="_csrf" value="([^"]+)"/.exec(other.body)![1]!;
    const forged = await browser.submit(consent, '/web/authorize/', { _csrf: foreign, decision: 'allow', allow_scope: 'foo' });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers.location).toBeUndefined();
  });

  it('signs out and asks to sign in again', async () => {
    const browser = new InjectBrowser(s.app);
    const consent = await signIn(browser, SEED_URL);
    const out = await browser.submit(consent, '/web/logout', {});
    expect(out.statusCode).toBe(303);
    const again = await browser.get(out.headers.location as string);
    expect(again.body).toContain('name="password"');
  });

  it('marks the session cookie Secure when the issuer is https', async () => {
    const t = await startTestServer({ ISSUER: 'https://auth.example' });
    try {
      const res = await t.app.inject({ url: SEED_URL });
      expect(res.cookies.find((c) => c.name === 'oauth2_session')?.secure).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('PKCE for public clients', () => {
  const verifier = 'v'.repeat(20) + 'erifier-0123456789-abcdefghijklmnop';
  const url = (extra: string) =>
    `/web/authorize/?response_type=code&client_id=spa&redirect_uri=http://localhost:3000/cb&state=p${extra}`;

  it('requires a code_challenge from a public client', async () => {
    const res = await s.app.inject({ url: url('') });
    expect(redirectParams(res).query.get('error')).toBe('invalid_request');
  });

  it('exchanges the code with the right verifier only', async () => {
    const browser = new InjectBrowser(s.app);
    const consent = await signIn(browser, url(`&code_challenge=${s256(verifier)}&code_challenge_method=S256`));
    const res = await browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: ['foo'] });
    const code = redirectParams(res).query.get('code')!;
    const body = { grant_type: 'authorization_code', code, client_id: 'spa', redirect_uri: 'http://localhost:3000/cb' };
    expect((await s.token({ ...body, code_verifier: `${verifier}x` }, null)).json().error).toBe('invalid_grant');
    expect((await s.token(body, null)).json().error).toBe('invalid_grant');
    const ok = await s.token({ ...body, code_verifier: verifier }, null);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().refresh_token).toBeTruthy();
  });

  it('refuses a verifier shorter than RFC 7636 allows, even one that matches its challenge', async () => {
    const short = 'too-short-to-guard-a-code';
    const browser = new InjectBrowser(s.app);
    const consent = await signIn(browser, url(`&code_challenge=${s256(short)}&code_challenge_method=S256`));
    const res = await browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: ['foo'] });
    const code = redirectParams(res).query.get('code')!;
    const body = { grant_type: 'authorization_code', code, client_id: 'spa', redirect_uri: 'http://localhost:3000/cb' };
    const refused = await s.token({ ...body, code_verifier: short }, null);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/code_verifier must be 43 to 128/) });
  });
});

describe('code exchange on an event store without multi-stream transactions (EventStoreDB)', () => {
  let atomic: typeof s.runtime.ctx.events.appendAtomically;
  beforeAll(() => {
    const { events } = s.runtime.ctx;
    atomic = events.appendAtomically;
    // The redemption, then the grant, one stream after the other.
    events.appendAtomically = undefined;
  });
  afterAll(() => {
    s.runtime.ctx.events.appendAtomically = atomic;
  });

  it('still lets a code buy tokens once, revokes them on a replay, and lets one of concurrent exchanges win', async () => {
    const code = redirectParams((await authorize(SEED_URL)).res).query.get('code')!;
    const first = await exchange(code);
    expect(first.statusCode).toBe(200);
    expect((await me(first.json().access_token)).statusCode).toBe(200);
    expect((await exchange(code)).json().error).toBe('invalid_grant');
    expect((await me(first.json().access_token)).statusCode).toBe(401);

    // Allow was remembered: forget it, so that the consent page shows again.
    const userId = (await userIdByUsername(s.runtime.ctx.events, 'testuser@example.com'))!;
    await revokeConsent(s.runtime.ctx, { userId, clientId: 'testclient' }, {});
    const another = redirectParams((await authorize(SEED_URL)).res).query.get('code')!;
    const results = await Promise.all(Array.from({ length: 4 }, () => exchange(another)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
  });
});
