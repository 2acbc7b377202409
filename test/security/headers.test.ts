import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/app.js';

/** The response headers that stop clickjacking, script injection, caching and referrer leaks of credentials. */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

const AUTHORIZE = '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com&state=s';

describe('security headers', () => {
  it('forbids framing the pages and running any script on them (CSP frame-ancestors and script-src none)', async () => {
    const page = await s.app.inject({ url: AUTHORIZE });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.body).not.toMatch(/<script/i);
  });

  it('keeps the authorization pages, token responses and errors out of caches, and the URL out of Referer headers', async () => {
    const page = await s.app.inject({ url: AUTHORIZE });
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const tokens = await s.token({ grant_type: 'client_credentials' });
    expect(tokens.headers['cache-control']).toBe('no-store');
    expect(tokens.headers.pragma).toBe('no-cache');
    const error = await s.token({ grant_type: 'password', username: 'x', password: 'y' });
    expect(error.headers['cache-control']).toBe('no-store');
  });

  it('marks the session cookie HttpOnly and SameSite=Lax', async () => {
    const cookie = (await s.app.inject({ url: AUTHORIZE })).cookies.find((c) => c.name === 'oauth2_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });
});
