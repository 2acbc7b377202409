// Setup loops over HTTP: sign in once, then pre-issue pools of tokens and codes before a run.
export const TESTCLIENT = { id: 'testclient', secret: 'testpassword' };
export const RS = { id: 'rs', secret: 'rs-secret' };
export const REDIRECT_URI = 'https://www.example.com';
const AUTHORIZE = `/web/authorize/?response_type=code&client_id=testclient&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=bench`;
const FORM = 'application/x-www-form-urlencoded';

export const basic = ({ id, secret }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function postForm(url, fields, client, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': FORM, ...(client ? { authorization: basic(client) } : {}), ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

/** Runs `one(i)` n times, `concurrency` at a time; resolves with the results in order. */
export async function parallel(n, one, concurrency = 32) {
  const results = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return results;
}

async function json(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** client_credentials access tokens from `base` (our token endpoint, or oidc-provider's). */
export function accessTokens(base, n, path = '/api/v1/tokens/') {
  return parallel(n, async () => {
    const body = await json(await postForm(base + path, { grant_type: 'client_credentials' }, TESTCLIENT), 'client_credentials');
    return body.access_token;
  });
}

const decode = (s) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The hidden fields of the form posting to `action`, from its HTML. */
function hiddenFields(html, action) {
  const start = html.indexOf(`action="${action}"`);
  if (start === -1) throw new Error(`no form posting to ${action} in:\n${html.slice(0, 500)}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    if (!/type="hidden"/.test(tag)) continue;
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
    if (name !== undefined) fields[decode(name)] = decode(value);
  }
  return fields;
}

/** A browser session: cookies kept across requests, redirects not followed. */
class Session {
  cookies = new Map();
  constructor(base) {
    this.base = base;
  }
  keep(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }
  get cookie() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async get(path) {
    return this.keep(await fetch(this.base + path, { headers: { cookie: this.cookie }, redirect: 'manual' }));
  }
  async post(path, fields) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return this.keep(
      await fetch(this.base + path, {
        method: 'POST',
        headers: { cookie: this.cookie, 'content-type': FORM },
        body: body.toString(),
        redirect: 'manual',
      }),
    );
  }
}

const codeOf = (res) => {
  const location = res.headers.get('location');
  const code = location && new URL(location, 'http://x').searchParams.get('code');
  if (res.status < 300 || res.status >= 400 || !code) throw new Error(`expected a redirect with a code, got HTTP ${res.status} ${location ?? ''}`);
  return code;
};

/**
 * Signs testuser in and allows testclient on the consent page, as a person would. The consent is
 * remembered, so from then on the authorization request answers with a code straight away.
 */
export async function signIn(base) {
  const s = new Session(base);
  const login = await s.get(AUTHORIZE);
  if (login.status !== 200) throw new Error(`login page: HTTP ${login.status}`);
  const signedIn = await s.post('/web/login', {
    ...hiddenFields(await login.text(), '/web/login'),
    username: 'testuser@example.com',
    password: 'testpassword',
  });
  if (signedIn.status !== 303) throw new Error(`sign-in: HTTP ${signedIn.status} ${(await signedIn.text()).slice(0, 300)}`);
  const consent = await s.get(signedIn.headers.get('location'));
  const html = await consent.text();
  if (consent.status !== 200) throw new Error(`consent page: HTTP ${consent.status} ${html.slice(0, 300)}`);
  const scopes = [...html.matchAll(/name="allow_scope" value="([^"]*)"/g)].map((m) => decode(m[1]));
  codeOf(await s.post('/web/authorize/', { ...hiddenFields(html, '/web/authorize/'), decision: 'allow', allow_scope: scopes }));
  return s;
}

/** Authorization codes for testclient, through the authorization endpoint of a signed-in session. */
export function codes(session, n) {
  return parallel(n, async () => codeOf(await session.get(AUTHORIZE)));
}

/** Refresh tokens (each of its own grant): a code each, exchanged. */
export async function refreshTokens(session, n) {
  const fresh = await codes(session, n);
  return parallel(n, async (i) => {
    const res = await postForm(
      session.base + '/api/v1/tokens/',
      { grant_type: 'authorization_code', code: fresh[i], redirect_uri: REDIRECT_URI },
      TESTCLIENT,
    );
    return (await json(res, 'code exchange')).refresh_token;
  });
}

/** Tokens or codes enough for `seconds` at `rate` requests/s, with a margin. */
export const poolFor = (seconds, rate) => Math.ceil(rate * seconds * 1.3) + 64;

/** Takes `n` unused tokens from `stock` (removing them), issuing what it lacks with `issue(m)`. */
export async function fromStock(stock, n, issue) {
  const taken = stock.splice(0, n);
  if (taken.length < n) taken.push(...(await issue(n - taken.length)));
  return taken;
}

/**
 * One request as each client before the load: a secret verified once is cached by the server, and
 * 32 connections arriving together would otherwise all pay scrypt at once (a start-up effect only).
 */
export async function prime(base) {
  const [token] = await accessTokens(base, 1);
  const res = await postForm(`${base}/api/v1/introspect`, { token }, RS);
  if (!res.ok) throw new Error(`introspection as ${RS.id}: HTTP ${res.status} ${await res.text()}`);
}

/** A server ready to measure: primed, testuser signed in, and an empty stock of unused tokens. */
export async function benchTarget(name, url) {
  await prime(url);
  return { name, url, session: await signIn(url), stock: { access: [], refresh: [] } };
}
