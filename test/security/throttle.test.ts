import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/commands/register-client.js';
import { registerUser } from '../../src/commands/register-user.js';
import { FailureCounter } from '../../src/security/throttle.js';
import { BASIC, form, startTestServer, type TestServer } from '../support/app.js';
import { InjectBrowser } from '../support/browser.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({
    THROTTLE_USER_FAILURES: '3',
    THROTTLE_IP_FAILURES: '6',
    THROTTLE_CLIENT_FAILURES: '3',
    THROTTLE_WINDOW: '300',
  });
  for (const username of ['alice', 'bob', 'carol']) await registerUser(s.runtime.ctx, { username, password: `${username}-pw` }, {});
  await registerClient(
    s.runtime.ctx,
    { clientId: 'victim', name: 'Victim', secret: 'victim-secret', redirectUris: [], grantTypes: ['client_credentials'], allowedScopes: null, resourceServer: true },
    {},
  );
});
afterAll(() => s.close());

const post = (url: string, fields: Record<string, string>, { ip = '127.0.0.1', auth = BASIC }: { ip?: string; auth?: string | null } = {}) =>
  s.app.inject({
    method: 'POST',
    url,
    remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    payload: form(fields),
  });
const signIn = (username: string, password: string, ip: string) =>
  post('/api/v1/tokens/', { grant_type: 'password', username, password }, { ip });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

function expectThrottledJson(res: LightMyRequestResponse) {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toContain('application/json');
  expect(res.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/too many failed attempts/) });
  const retry = Number(res.headers['retry-after']);
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(300);
  expect(res.headers['cache-control']).toBe('no-store');
}

describe('per-user throttling of the password grant', () => {
  it('after THROTTLE_USER_FAILURES failures refuses even the right password with 429 and Retry-After; other users go on', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('alice', 'wrong', '10.0.0.1')).json().error).toBe('invalid_grant');
    expectThrottledJson(await signIn('alice', 'alice-pw', '10.0.0.1'));
    // The name is matched case-insensitively, from any address.
    expectThrottledJson(await signIn('ALICE', 'alice-pw', '10.9.9.9'));
    expect((await signIn('bob', 'bob-pw', '10.0.0.1')).statusCode).toBe(200);
  });

  it('counts only failures: correct sign-ins never use up a budget, and one resets the user’s count', async () => {
    for (let i = 0; i < 8; i++) expect((await signIn('bob', 'bob-pw', '10.0.0.4')).statusCode).toBe(200);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) expect((await signIn('bob', 'wrong', '10.0.0.4')).statusCode).toBe(400);
      expect((await signIn('bob', 'bob-pw', '10.0.0.4')).statusCode).toBe(200);
    }
  });
});

describe('per-IP throttling', () => {
  it('blocks an address whose failures, spread over many names, reach THROTTLE_IP_FAILURES; other addresses go on', async () => {
    for (let i = 0; i < 6; i++) expect((await signIn(`spray-${i}@example.com`, 'guess', '10.0.0.2')).statusCode).toBe(400);
    expectThrottledJson(await signIn('testuser@example.com', 'testpassword', '10.0.0.2'));
    expect((await signIn('testuser@example.com', 'testpassword', '10.0.0.3')).statusCode).toBe(200);
  });
});

describe('per-client throttling of failed client authentication', () => {
  it('after THROTTLE_CLIENT_FAILURES failures refuses the client at every endpoint that authenticates it, right secret included', async () => {
    const wrong = basic('victim', 'nope');
    expect((await post('/api/v1/tokens/', { grant_type: 'client_credentials' }, { auth: wrong, ip: '10.1.0.1' })).statusCode).toBe(401);
    expect((await post('/api/v1/introspect', { token: 'x' }, { auth: wrong, ip: '10.1.0.2' })).statusCode).toBe(401);
    const inBody = await post('/api/v1/revoke', { token: 'x', client_id: 'victim', client_secret: 'nope' }, { auth: null, ip: '10.1.0.3' });
    expect(inBody.statusCode).toBe(401);

    const right = basic('victim', 'victim-secret');
    expectThrottledJson(await post('/api/v1/tokens/', { grant_type: 'client_credentials' }, { auth: right }));
    expectThrottledJson(await post('/api/v1/introspect', { token: 'x' }, { auth: right }));
    expectThrottledJson(await post('/api/v1/revoke', { token: 'x', client_id: 'victim', client_secret: 'victim-secret' }, { auth: null }));
    // Another client is not affected.
    expect((await post('/api/v1/tokens/', { grant_type: 'client_credentials' })).statusCode).toBe(200);
  });
});

describe('throttling of the sign-in form', () => {
  it('answers the HTML error page with 429 and Retry-After, and shares the user’s budget with the password grant', async () => {
    const url = '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com&state=s';
    const browser = new InjectBrowser(s.app);
    for (let i = 0; i < 3; i++) {
      const res = await browser.submit(await browser.get(url), '/web/login', { username: 'carol', password: 'wrong' });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await browser.submit(await browser.get(url), '/web/login', { username: 'carol', password: 'carol-pw' });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['content-type']).toContain('text/html');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body).toContain('Too many failed sign-in attempts');
    expect(blocked.headers['set-cookie'] ?? '').not.toContain('user');
    expectThrottledJson(await signIn('carol', 'carol-pw', '10.0.0.9'));
  });
});

describe('FailureCounter', () => {
  it('blocks a key at max failures until its window ends', () => {
    let now = 0;
    const c = new FailureCounter(2, 60_000, () => now);
    c.fail('k');
    expect(c.blockedFor('k')).toBeNull();
    c.fail('k');
    expect(c.blockedFor('k')).toBe(60);
    now = 59_001;
    expect(c.blockedFor('k')).toBe(1);
    now = 60_000;
    expect(c.blockedFor('k')).toBeNull();
    c.fail('k');
    expect(c.blockedFor('k')).toBeNull();
  });

  it('forgets a key on reset, is off at max 0, and keeps at most maxKeys keys', () => {
    const c = new FailureCounter(1, 1000, () => 0, 2);
    c.fail('a');
    c.reset('a');
    expect(c.blockedFor('a')).toBeNull();
    for (const k of ['a', 'b', 'c']) c.fail(k);
    expect(c.blockedFor('a')).toBeNull();
    expect(c.blockedFor('c')).toBe(1);
    const flooded = new FailureCounter(1, 1000, () => 0, 100);
    for (let i = 0; i < 1000; i++) flooded.fail(`user-${i}`);
    expect(flooded.snapshot().length).toBeLessThanOrEqual(100);
    expect(flooded.blockedFor('user-0')).toBeNull();
    expect(flooded.blockedFor('user-999')).toBe(1);
    const off = new FailureCounter(0, 1000);
    for (let i = 0; i < 5; i++) off.fail('a');
    expect(off.blockedFor('a')).toBeNull();
  });
});
