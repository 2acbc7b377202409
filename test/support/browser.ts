import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { form } from './app.js';

/** Enough of a browser over fastify.inject: keeps cookies, reads hidden form fields, no auto-redirect. */
export class InjectBrowser {
  private cookies = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies) {
      if (c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  private get cookieHeader(): Record<string, string> {
    const value = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    return value ? { cookie: value } : {};
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: this.cookieHeader }));
  }

  async post(url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { ...this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form(fields),
      }),
    );
  }

  /** Submits the first form on a page whose action is `action`, with its hidden fields plus `extra`. */
  async submit(page: LightMyRequestResponse, action: string, extra: Record<string, string | string[]>) {
    return this.post(action, { ...hiddenFields(page.body, action), ...extra });
  }
}

const unescape = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export function hiddenFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start === -1) throw new Error(`no form with action ${action}`);
  const formHtml = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of formHtml.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[unescape(m[1]!)] = unescape(m[2]!);
  }
  return fields;
}

export function checkboxValues(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`name="${name}" value="([^"]*)"`, 'g'))].map((m) => unescape(m[1]!));
}

/** The parameters a redirect carries, in its query or its fragment. */
export function redirectParams(res: LightMyRequestResponse): { url: URL; query: URLSearchParams; fragment: URLSearchParams } {
  const location = res.headers.location;
  if (typeof location !== 'string') throw new Error(`expected a redirect, got ${res.statusCode}: ${res.body.slice(0, 200)}`);
  const url = new URL(location, 'http://localhost');
  return { url, query: url.searchParams, fragment: new URLSearchParams(url.hash.slice(1)) };
}
