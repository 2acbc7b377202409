/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, against a real
 * `oauth2 serve` process: what a person sees, at phone and desktop sizes.
 */
import type { AxeResults } from 'axe-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CLI, freePort, oauth2, type ServerProcess, startServer } from '../support/process.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CLIENT_ORIGIN = 'https://www.example.com';
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/**
 * Why the suite cannot run here, or null. Printed, so that a skip is never silent; with
 * REQUIRE_BROWSER=1 a missing browser fails the suite instead.
 */
export function browserSkipReason(): string | null {
  const reason = !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (install it with: apt-get install -y chromium)`
    : !existsSync(CLI)
      ? `${CLI} is missing (run npm run build first; npm test does)`
      : null;
  if (reason === null) return null;
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`browser tests: REQUIRE_BROWSER=1 but ${reason}`);
  console.warn(`[skip] browser tests: ${reason}`);
  return reason;
}

export const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false },
  phone: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
} as const;
export type Size = keyof typeof SIZES;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      // A safety net: no host name resolves but the test server's address, so nothing leaves the machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

export interface TestServerProcess {
  server: ServerProcess;
  env: Record<string, string>;
  /** Runs the built CLI against the server's store; throws on a non-zero exit. */
  cli(args: string[]): Promise<string>;
}

export async function startBrowserServer(): Promise<TestServerProcess> {
  const port = await freePort();
  const env = {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-browser-')),
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
  };
  const cli = async (args: string[]) => {
    const r = await oauth2(args, env);
    if (r.code !== 0) throw new Error(`oauth2 ${args.join(' ')} failed (${r.code}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  await cli(['fixtures', 'load', 'test_credentials', 'test_scopes']);
  return { server: await startServer(env), env, cli };
}

/** One person's browser at one size. */
export interface Visit {
  context: BrowserContext;
  page: Page;
  size: Size;
  /** Content-Security-Policy violations the console reported. */
  cspViolations: string[];
  /** Requests to the client's origin, answered by the test (never fetched). */
  clientRequests: string[];
}

/**
 * A fresh context and page. Navigations to https://www.example.com are answered by the test
 * with a tiny page, so the client's redirect URI is never fetched: through the DevTools Fetch
 * domain, because Playwright's page.route() does not see the hops of a redirect chain
 * (microsoft/playwright#33882) and the server answers with 302/303 redirects.
 */
export async function visit(browser: Browser, size: Size): Promise<Visit> {
  const context = await browser.newContext({ ...SIZES[size], locale: 'en-GB', colorScheme: 'light' });
  const page = await context.newPage();
  const v: Visit = { context, page, size, cspViolations: [], clientRequests: [] };
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) v.cspViolations.push(m.text());
  });
  const cdp = await context.newCDPSession(page);
  cdp.on('Fetch.requestPaused', (e: { requestId: string; request: { url: string } }) => {
    v.clientRequests.push(e.request.url);
    const body = '<!doctype html><html lang="en"><title>Client</title><p>The client application</p></html>';
    void cdp
      .send('Fetch.fulfillRequest', {
        requestId: e.requestId,
        responseCode: 200,
        responseHeaders: [{ name: 'Content-Type', value: 'text/html; charset=utf-8' }],
        body: Buffer.from(body).toString('base64'),
      })
      .catch(() => undefined);
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${CLIENT_ORIGIN}/*` }] });
  return v;
}

/** Runs `action` and waits for the page load it causes. */
export async function navigating(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForEvent('load'), action()]);
}

/** The parameters the client received: the query (code flow) or the fragment (implicit flow). */
export function clientParams(page: Page): { url: URL; query: URLSearchParams; fragment: URLSearchParams } {
  const url = new URL(page.url());
  expect(url.origin).toBe(CLIENT_ORIGIN);
  return { url, query: url.searchParams, fragment: new URLSearchParams(url.hash.slice(1)) };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeViolation = AxeResults['violations'][number];

/** axe-core's WCAG 2.x A/AA and best-practice rules on the page as it stands. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through DevTools, which the page's CSP (script-src 'none') does not govern.
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, o: object): Promise<AxeResults> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  );
  return results.violations;
}

const describeViolations = (vs: AxeViolation[]) =>
  vs.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');

/**
 * What every page must pass: a screenshot for the reviewer in test/artifacts/, no serious or
 * critical axe violation, no horizontal scrolling at this size, the document's language set,
 * and no CSP violation so far.
 */
export async function checkPage(v: Visit, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await v.page.screenshot({ path: join(ARTIFACTS, `${name}-${v.size}.png`), fullPage: true });
  const violations = await axeViolations(v.page);
  const serious = violations.filter((x) => x.impact === 'serious' || x.impact === 'critical');
  expect(serious, `${name} at ${v.size}:\n${describeViolations(serious)}`).toEqual([]);
  const layout = await v.page.evaluate(() => ({
    lang: document.documentElement.lang,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    stylesheetApplied: getComputedStyle(document.body).display === 'flex',
  }));
  expect(layout.lang).toBe('en');
  expect(layout.overflow, `${name} scrolls sideways at ${v.size}`).toBeLessThanOrEqual(0);
  expect(layout.stylesheetApplied, 'the stylesheet loads under the CSP').toBe(true);
  expect(v.cspViolations).toEqual([]);
}
