/**
 * The login, consent, error and signed-out pages in headless Chromium, as a person uses them:
 * both flows at desktop and phone sizes, deny, remembered consent, keyboard only, and axe-core
 * on every page. Screenshots land in test/artifacts/ for a reviewer.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserSkipReason,
  checkPage,
  clientParams,
  launch,
  navigating,
  SIZES,
  type Size,
  startBrowserServer,
  type TestServerProcess,
  type Visit,
  visit,
} from './harness.js';

const skip = browserSkipReason();
const PASSWORD = 'a long enough password';
const BASIC = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`;

describe.skipIf(skip !== null)('pages in headless Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let t: TestServerProcess;
  const visits: Visit[] = [];

  beforeAll(async () => {
    [browser, t] = await Promise.all([launch(), startBrowserServer()]);
  });
  afterAll(async () => {
    for (const v of visits) await v.context.close().catch(() => undefined);
    await browser?.close();
    await t?.server.stop();
  });

  const open = async (size: Size) => {
    const v = await visit(browser, size);
    visits.push(v);
    return v;
  };
  const authorizeUrl = (responseType: 'code' | 'token', scope?: string) =>
    `${t.server.url}/web/authorize/?response_type=${responseType}&client_id=testclient&redirect_uri=https://www.example.com&state=xyz${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`;

  /** A person of their own, so that no test sees another's remembered consent. */
  const newUser = async () => {
    const username = `person-${randomUUID().slice(0, 8)}@example.com`;
    await t.cli(['users', 'create', username, '--password', PASSWORD]);
    return username;
  };

  async function signIn(page: Page, username: string) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await navigating(page, () => page.getByRole('button', { name: 'Sign in' }).click());
  }

  const exchange = (code: string) =>
    fetch(`${t.server.url}/api/v1/tokens/`, {
      method: 'POST',
      headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://www.example.com' }),
    });

  const onConsentPage = async (page: Page) => {
    await expect.poll(() => page.locator('h1').textContent()).toBe('Test Client wants to access your account');
    expect(new URL(page.url()).origin).toBe(t.server.url);
  };

  for (const size of Object.keys(SIZES) as Size[]) {
    it(`authorization code flow at ${size} size: sign in, untick a scope, allow`, async () => {
      const v = await open(size);
      const { page } = v;
      const username = await newUser();
      const res = await page.goto(authorizeUrl('code'));
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'none'");
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('username');
      expect(await page.locator('h1').textContent()).toBe('Sign in');
      expect(await page.locator('.lead').textContent()).toBe('to continue to Test Client');
      await checkPage(v, 'login');

      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill('not the password');
      await navigating(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      expect(await page.getByRole('alert').textContent()).toBe('That username and password do not match.');
      expect(await page.getByLabel('Username').inputValue()).toBe(username);
      await checkPage(v, 'login-error');

      await signIn(page, username);
      await onConsentPage(page);
      expect(await page.locator('.account').textContent()).toContain(`Signed in as ${username}`);
      await expect(page.getByRole('button', { name: /^Not you\?/ }).isVisible()).resolves.toBe(true);
      for (const description of ['Read your foo', 'Change your bar', 'Use qux on your behalf']) {
        expect(await page.getByLabel(description).isChecked()).toBe(true);
      }
      expect(await page.locator('.return').textContent()).toContain('https://www.example.com');
      await checkPage(v, 'consent');
      if (size === 'phone') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await checkPage(v, 'consent-dark');
        await page.emulateMedia({ colorScheme: 'light' });
      }

      await page.getByLabel('Use qux on your behalf').uncheck();
      await navigating(page, () => page.getByRole('button', { name: 'Allow' }).click());
      const { query } = clientParams(page);
      expect(query.get('state')).toBe('xyz');
      expect(query.get('iss')).toBe(t.server.url);
      const tokens = await exchange(query.get('code')!);
      expect(tokens.status).toBe(200);
      expect(((await tokens.json()) as { scope: string }).scope.split(' ').sort()).toEqual(['bar', 'foo']);
      expect(v.clientRequests.length).toBeGreaterThan(0);
    });

    it(`implicit flow at ${size} size: the token arrives in the fragment`, async () => {
      const v = await open(size);
      const { page } = v;
      await page.goto(authorizeUrl('token'));
      await signIn(page, await newUser());
      await onConsentPage(page);
      await navigating(page, () => page.getByRole('button', { name: 'Allow' }).click());
      const { query, fragment } = clientParams(page);
      expect([...query.keys()]).toEqual([]);
      expect(fragment.get('token_type')).toBe('Bearer');
      expect(fragment.get('scope')).toBe('bar foo qux');
      expect(fragment.get('state')).toBe('xyz');
      expect(fragment.has('refresh_token')).toBe(false);
      const me = await fetch(`${t.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${fragment.get('access_token')}` } });
      expect(me.status).toBe(200);
    });

    it(`error pages at ${size} size say what happened, with the code for the developer`, async () => {
      const v = await open(size);
      const { page } = v;
      const cases = [
        { name: 'error-invalid-client', query: 'response_type=code&client_id=ghost', title: 'Unknown application', code: 'invalid_client' },
        { name: 'error-redirect-uri', query: 'response_type=code&client_id=testclient&redirect_uri=https://evil.example/cb', title: 'This request cannot be completed', code: 'invalid_request' },
      ];
      for (const c of cases) {
        const res = await page.goto(`${t.server.url}/web/authorize/?${c.query}`);
        expect(res?.status()).toBe(400);
        expect(await page.locator('h1').textContent()).toBe(c.title);
        expect(await page.locator('.developer dd code').first().textContent()).toBe(c.code);
        await checkPage(v, c.name);
      }
      expect(await page.locator('.lead').textContent()).toBe('The address to return to is not one registered for this application.');

      // A sign-in form whose session is gone (cookie expired or cleared) is an expired form.
      await page.goto(authorizeUrl('code'));
      await v.context.clearCookies();
      await page.getByLabel('Username').fill('testuser@example.com');
      await page.getByLabel('Password').fill('testpassword');
      await navigating(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      expect(await page.locator('h1').textContent()).toBe('This form has expired');
      expect(await page.locator('.lead').textContent()).toContain('reload the page');
      await checkPage(v, 'error-expired-form');
      expect(v.clientRequests).toEqual([]);
    });

    it(`"Not you?" at ${size} size signs out, back to the sign-in page; the signed-out page`, async () => {
      const v = await open(size);
      const { page } = v;
      await page.goto(authorizeUrl('code'));
      await signIn(page, await newUser());
      await onConsentPage(page);
      await navigating(page, () => page.getByRole('button', { name: /^Not you\?/ }).click());
      expect(await page.locator('h1').textContent()).toBe('Sign in');
      expect(await page.getByLabel('Username').inputValue()).toBe('');

      // Without an authorization request to return to, signing out ends on the signed-out page.
      await signIn(page, await newUser());
      await onConsentPage(page);
      await page.evaluate(() => document.querySelector('form.account input[name=request]')?.remove());
      await navigating(page, () => page.getByRole('button', { name: /^Not you\?/ }).click());
      expect(await page.locator('h1').textContent()).toBe('You are signed out');
      await checkPage(v, 'signed-out');
      await page.goto(authorizeUrl('code'));
      expect(await page.locator('h1').textContent()).toBe('Sign in');
    });
  }

  it('deny sends access_denied back to the client, and is not remembered', async () => {
    const v = await open('phone');
    const { page } = v;
    await page.goto(authorizeUrl('code'));
    await signIn(page, await newUser());
    await onConsentPage(page);
    await navigating(page, () => page.getByRole('button', { name: 'Deny' }).click());
    const { query } = clientParams(page);
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('state')).toBe('xyz');
    expect(query.has('code')).toBe(false);
    await page.goto(authorizeUrl('code'));
    await onConsentPage(page);
  });

  it('remembered consent: same or fewer scopes skip the page; more scopes, or a revoked consent, ask again', async () => {
    const v = await open('desktop');
    const { page } = v;
    const username = await newUser();
    await page.goto(authorizeUrl('code', 'foo bar'));
    await signIn(page, username);
    await onConsentPage(page);
    await navigating(page, () => page.getByRole('button', { name: 'Allow' }).click());
    expect(clientParams(page).query.get('code')).toBeTruthy();

    // Fewer scopes: straight back to the client, with a working code.
    await page.goto(authorizeUrl('code', 'foo'));
    const fewer = clientParams(page).query.get('code')!;
    expect(((await (await exchange(fewer)).json()) as { scope: string }).scope).toBe('foo');
    await page.goto(authorizeUrl('token', 'bar foo'));
    expect(clientParams(page).fragment.get('access_token')).toBeTruthy();

    // More scopes: asked again, with what was allowed before marked.
    await page.goto(authorizeUrl('code', 'foo bar qux'));
    await onConsentPage(page);
    expect(await page.getByText('allowed before').count()).toBe(2);
    await checkPage(v, 'consent-more-scopes');

    // Revoked with the CLI: asked again, even for the scopes allowed before.
    expect(await t.cli(['users', 'revoke-consent', username.toUpperCase(), 'testclient'])).toContain('revoked');
    await page.goto(authorizeUrl('code', 'foo'));
    await onConsentPage(page);
    expect(await page.getByText('allowed before').count()).toBe(0);
  });

  it('keyboard only: Tab, Space and Enter complete sign-in and consent; Enter on a checkbox decides nothing', async () => {
    const v = await open('desktop');
    const { page } = v;
    const username = await newUser();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        const style = el ? getComputedStyle(el) : null;
        return {
          what: el ? `${el.tagName.toLowerCase()}:${(el as HTMLInputElement).value && el.tagName === 'INPUT' && (el as HTMLInputElement).type === 'checkbox' ? (el as HTMLInputElement).value : (el.textContent ?? '').trim() || el.id}` : '',
          outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '',
        };
      });
    const tab = async () => {
      await page.keyboard.press('Tab');
      const f = await focused();
      // Every stop shows where the focus is (WCAG 2.4.7).
      expect(f.outline, f.what).toBe('solid 3px');
      return f.what;
    };

    await page.goto(authorizeUrl('code'));
    await expect.poll(async () => (await focused()).what).toBe('input:username');
    await page.keyboard.type(username);
    expect(await tab()).toBe('input:password');
    await page.keyboard.type(PASSWORD);
    expect(await tab()).toBe('button:Sign in');
    await navigating(page, () => page.keyboard.press('Enter'));
    await onConsentPage(page);

    const order = ['button:Not you? Sign in as someone else', 'input:bar', 'input:foo', 'input:qux', 'button:Deny', 'button:Allow'];
    expect(await tab()).toBe(order[0]);
    expect(await tab()).toBe(order[1]);
    expect(await tab()).toBe(order[2]);
    await page.keyboard.press('Space');
    expect(await page.getByLabel('Read your foo').isChecked()).toBe(false);
    // Enter on a checkbox submits the form in Chromium: it must neither allow nor deny.
    await navigating(page, () => page.keyboard.press('Enter'));
    await onConsentPage(page);
    expect(await page.getByRole('status').textContent()).toBe('Nothing was decided yet. Choose Allow or Deny.');
    expect(await page.getByLabel('Read your foo').isChecked()).toBe(false);
    expect(v.clientRequests).toEqual([]);

    const walked: string[] = [];
    for (let i = 0; i < order.length; i++) walked.push(await tab());
    expect(walked).toEqual(order);
    await navigating(page, () => page.keyboard.press('Enter'));
    const { query } = clientParams(page);
    const tokens = (await (await exchange(query.get('code')!)).json()) as { scope: string };
    expect(tokens.scope.split(' ').sort()).toEqual(['bar', 'qux']);
  });

  it('keyboard only at phone size: Space on Allow answers', async () => {
    const v = await open('phone');
    const { page } = v;
    await page.goto(authorizeUrl('token', 'foo'));
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('username');
    await page.keyboard.type(await newUser());
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await navigating(page, () => page.keyboard.press('Enter'));
    await onConsentPage(page);
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab'); // Not you?, foo, Deny, Allow
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Allow');
    await navigating(page, () => page.keyboard.press('Space'));
    expect(clientParams(page).fragment.get('scope')).toBe('foo');
  });
});
