import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeConsent, userIdByUsername } from '../../src/commands/consent.js';
import { registerClient } from '../../src/commands/register-client.js';
import { registerUser } from '../../src/commands/register-user.js';
import { consentStream } from '../../src/domain/consent.js';
import { s256 } from '../../src/security/tokens.js';
import { startTestServer, type TestServer } from '../support/app.js';
import { checkboxValues, InjectBrowser, redirectParams } from '../support/browser.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await registerClient(
    s.runtime.ctx,
    { clientId: 'loopback', name: 'Loopback App', secret: null, redirectUris: ['http://127.0.0.1:9/cb'], grantTypes: ['authorization_code'], allowedScopes: null, resourceServer: false },
    {},
  );
});
afterAll(() => s.close());

const PASSWORD = 'correct horse battery';
const url = (scope?: string, responseType = 'code') =>
  `/web/authorize/?response_type=${responseType}&client_id=testclient&redirect_uri=https://www.example.com&state=st${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`;

/** A person with an account of their own, so that no test sees another's remembered consent. */
async function person() {
  const username = `p-${randomUUID().slice(0, 8)}@example.com`;
  const userId = await registerUser(s.runtime.ctx, { username, password: PASSWORD }, {});
  const browser = new InjectBrowser(s.app);
  const login = await browser.get(url());
  const signedIn = await browser.submit(login, '/web/login', { username, password: PASSWORD });
  expect(signedIn.statusCode).toBe(303);
  return { username, userId, browser };
}

type Person = Awaited<ReturnType<typeof person>>;

/** Opens the authorization URL as the person: the consent page (200), or a redirect when it is skipped. */
const open = (p: Person, target: string) => p.browser.get(target);

async function allow(p: Person, target: string, scopes?: string[]) {
  const consent = await open(p, target);
  expect(consent.statusCode).toBe(200);
  const res = await p.browser.submit(consent, '/web/authorize/', {
    decision: 'allow',
    allow_scope: scopes ?? checkboxValues(consent.body, 'allow_scope'),
  });
  expect(res.statusCode).toBe(303);
  return res;
}

const consentEvents = async (p: Person, clientId = 'testclient') =>
  (await s.runtime.ctx.events.readStream(consentStream(p.userId, clientId))).map((e) => ({ type: e.type, data: e.data }));

describe('remembered consent', () => {
  it('records ConsentGranted on Allow and then skips the page for the same scopes', async () => {
    const p = await person();
    await allow(p, url('foo bar'));
    expect(await consentEvents(p)).toEqual([
      { type: 'ConsentGranted', data: { userId: p.userId, clientId: 'testclient', scope: 'bar foo' } },
    ]);

    const again = await open(p, url('bar foo'));
    expect(again.statusCode).toBe(302);
    const { url: back, query } = redirectParams(again);
    expect(back.origin).toBe('https://www.example.com');
    expect(query.get('state')).toBe('st');
    const tokens = await s.token({ grant_type: 'authorization_code', code: query.get('code')!, redirect_uri: 'https://www.example.com' });
    expect(tokens.statusCode).toBe(200);
    expect(tokens.json().scope.split(' ').sort()).toEqual(['bar', 'foo']);
  });

  it('skips the page for fewer scopes, granting only those asked', async () => {
    const p = await person();
    await allow(p, url());
    const fewer = await open(p, url('qux'));
    expect(fewer.statusCode).toBe(302);
    const tokens = await s.token({ grant_type: 'authorization_code', code: redirectParams(fewer).query.get('code')!, redirect_uri: 'https://www.example.com' });
    expect(tokens.json().scope).toBe('qux');
  });

  it('goes straight from sign-in back to the client when consent is remembered', async () => {
    const p = await person();
    await allow(p, url());
    const other = new InjectBrowser(s.app);
    const login = await other.get(url());
    const signedIn = await other.submit(login, '/web/login', { username: p.username.toUpperCase(), password: PASSWORD });
    const next = await other.get(signedIn.headers.location as string);
    expect(next.statusCode).toBe(302);
    expect(redirectParams(next).query.get('code')).toBeTruthy();
  });

  it('remembers the implicit flow too, answering in the fragment', async () => {
    const p = await person();
    await allow(p, url('foo', 'token'));
    const res = await open(p, url('foo', 'token'));
    expect(res.statusCode).toBe(302);
    const { fragment } = redirectParams(res);
    expect(fragment.get('access_token')).toBeTruthy();
    expect(fragment.get('scope')).toBe('foo');
    expect(fragment.get('state')).toBe('st');
  });

  it('asks again for more scopes, marking what was allowed before', async () => {
    const p = await person();
    await allow(p, url('foo'));
    const more = await open(p, url('foo bar'));
    expect(more.statusCode).toBe(200);
    expect(checkboxValues(more.body, 'allow_scope')).toEqual(['foo', 'bar']);
    expect(more.body.match(/allowed before/g)).toHaveLength(1);
    await p.browser.submit(more, '/web/authorize/', { decision: 'allow', allow_scope: ['foo', 'bar'] });
    expect((await open(p, url('bar foo'))).statusCode).toBe(302);
  });

  it('forgets a scope the person unticked when asked again', async () => {
    const p = await person();
    await allow(p, url('foo bar'));
    await allow(p, url('foo bar qux'), ['foo', 'qux']);
    expect((await consentEvents(p)).at(-1)?.data).toMatchObject({ scope: 'foo qux' });
    expect((await open(p, url('bar'))).statusCode).toBe(200);
    expect((await open(p, url('qux foo'))).statusCode).toBe(302);
  });

  it('asks again after oauth2 users revoke-consent', async () => {
    const p = await person();
    await allow(p, url());
    expect(await userIdByUsername(s.runtime.ctx.events, p.username.toUpperCase())).toBe(p.userId);
    expect(await revokeConsent(s.runtime.ctx, { userId: p.userId, clientId: 'testclient' }, {})).toBe(true);
    expect(await revokeConsent(s.runtime.ctx, { userId: p.userId, clientId: 'testclient' }, {})).toBe(false);
    expect((await consentEvents(p)).map((e) => e.type)).toEqual(['ConsentGranted', 'ConsentRevoked']);
    const again = await open(p, url());
    expect(again.statusCode).toBe(200);
    expect(again.body).not.toContain('allowed before');
  });

  it('records nothing on Deny, and a Deny leaves earlier consent as it was', async () => {
    const p = await person();
    const consent = await open(p, url('foo'));
    const denied = await p.browser.submit(consent, '/web/authorize/', { decision: 'deny', allow_scope: ['foo'] });
    expect(redirectParams(denied).query.get('error')).toBe('access_denied');
    expect(await consentEvents(p)).toEqual([]);
    expect((await open(p, url('foo'))).statusCode).toBe(200);

    await allow(p, url('foo'));
    const more = await open(p, url('foo bar'));
    await p.browser.submit(more, '/web/authorize/', { decision: 'deny', allow_scope: ['foo', 'bar'] });
    expect(await consentEvents(p)).toHaveLength(1);
    expect((await open(p, url('foo'))).statusCode).toBe(302);
  });

  it('records nothing when every scope is unticked', async () => {
    const p = await person();
    const consent = await open(p, url());
    const res = await p.browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: [] });
    expect(redirectParams(res).query.get('error')).toBe('access_denied');
    expect(await consentEvents(p)).toEqual([]);
  });

  it('shows the page again, ticks kept, for a form sent without a decision (Enter on a checkbox)', async () => {
    const p = await person();
    const consent = await open(p, url());
    const res = await p.browser.submit(consent, '/web/authorize/', { allow_scope: ['foo'] });
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain('Choose Allow or Deny');
    expect(res.body).toMatch(/name="allow_scope" value="foo" checked>/);
    expect(res.body).toMatch(/name="allow_scope" value="bar">/);
    expect(await consentEvents(p)).toEqual([]);
    // The page shown again works like the first.
    const allowed = await p.browser.submit(res, '/web/authorize/', { decision: 'allow', allow_scope: ['foo'] });
    expect(redirectParams(allowed).query.get('code')).toBeTruthy();
  });

  it('is neither recorded nor used for a public client on a loopback redirect URI', async () => {
    const p = await person();
    const verifier = 'v'.repeat(43);
    const target = `/web/authorize/?response_type=code&client_id=loopback&state=l&code_challenge=${s256(verifier)}&code_challenge_method=S256`;
    await allow(p, target);
    expect(await consentEvents(p, 'loopback')).toEqual([]);
    expect((await open(p, target)).statusCode).toBe(200);
  });

  it('is per user and per client', async () => {
    const a = await person();
    const b = await person();
    await allow(a, url());
    expect((await open(b, url())).statusCode).toBe(200);
    expect(await consentEvents(a, 'loopback')).toEqual([]);
  });
});
