// What each scenario sends, and what it needs prepared first. `prepare(target, n)` returns the
// autocannon load; pooled scenarios consume `n` fresh tokens or codes, one per request.
//
// Tokens our server hands out during a run are kept (`target.stock`), unused, for the scenarios
// that consume them later in the round: the access tokens of client_credentials (and only those)
// for revocation, the refresh tokens of the code exchange (and of refresh itself) for refresh.
// What the stock lacks is issued by a setup loop before the run, so every request still gets a
// token nobody used.
import { accessTokens, basic, codes, fromStock, REDIRECT_URI, refreshTokens, RS, TESTCLIENT } from './pools.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (fields) => new URLSearchParams(fields).toString();
const issued = (text) => text.includes('"access_token"');
const active = (text) => text.includes('"active":true');
/**
 * Live tokens cycled by the read-only scenarios. oidc-provider's default in-memory adapter is an LRU
 * of 1,000 entries (two generations): its tokens are issued right before each run, and fewer than that.
 */
const CYCLE = 500;

/** The same items in random order (Fisher-Yates). */
function shuffled(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const field = (name) => new RegExp(`"${name}":"([^"]+)"`);
const ACCESS = field('access_token');
const REFRESH = field('refresh_token');
/**
 * Keeps the tokens of a token response in the target's stock: its refresh token, or else its
 * access token. The access token of a family with a refresh token is not kept: its revocation
 * (the revocation scenario) would append to its family's stream, and the family's next refresh in a
 * later round would be decided twice (decision 0015), up to a quarter of a round's refreshes.
 */
const keep = (t) => (text) => {
  const r = REFRESH.exec(text);
  if (r) {
    t.stock.refresh.push(r[1]);
    return;
  }
  const a = ACCESS.exec(text);
  if (a) t.stock.access.push(a[1]);
};

const tokenRequest = (t, fields) => ({
  path: '/api/v1/tokens/',
  headers: { ...FORM, authorization: basic(TESTCLIENT) },
  body: form(fields),
  verify: issued,
  capture: keep(t),
});
const liveTokens = (t) => fromStock(t.stock.access, CYCLE, (n) => accessTokens(t.url, n));

/** Ours: the grants, introspection, revocation and the guard, in the order a round runs them. */
export const OURS = [
  {
    key: 'client_credentials',
    label: 'client_credentials (Basic)',
    prepare: async (t) => tokenRequest(t, { grant_type: 'client_credentials' }),
  },
  {
    key: 'introspection',
    label: 'introspection',
    prepare: async (t) => ({
      path: '/api/v1/introspect',
      headers: { ...FORM, authorization: basic(RS) },
      cycle: (t.introspectable ??= await liveTokens(t)),
      fill: (token) => ({ body: form({ token }) }),
      verify: active,
    }),
  },
  {
    key: 'code',
    label: 'authorization_code exchange',
    pooled: true,
    prepare: async (t, n) => ({
      ...tokenRequest(t, {}),
      pool: await codes(t.session, n),
      fill: (code) => ({ body: form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }) }),
    }),
  },
  {
    key: 'refresh',
    label: 'refresh_token',
    pooled: true,
    prepare: async (t, n) => ({
      ...tokenRequest(t, {}),
      // In random order, as hourly refreshes of many families come, not in the order the families
      // began: neighbouring families share index pages that those refreshes do not (decision 0017).
      pool: shuffled(await fromStock(t.stock.refresh, n, (m) => refreshTokens(t.session, m))),
      fill: (token) => ({ body: form({ grant_type: 'refresh_token', refresh_token: token }) }),
    }),
  },
  {
    key: 'password',
    label: 'password (scrypt per request)',
    prepare: async (t) =>
      tokenRequest(t, { grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' }),
  },
  {
    key: 'revocation',
    label: 'revocation (access token)',
    pooled: true,
    prepare: async (t, n) => ({
      path: '/api/v1/revoke',
      headers: { ...FORM, authorization: basic(TESTCLIENT) },
      pool: await fromStock(t.stock.access, n, (m) => accessTokens(t.url, m)),
      fill: (token) => ({ body: form({ token }) }),
    }),
  },
  {
    key: 'me',
    label: 'guard: GET /api/v1/me',
    prepare: async (t) => ({
      method: 'GET',
      path: '/api/v1/me',
      cycle: (t.meTokens ??= await liveTokens(t)),
      fill: (token) => ({ headers: { authorization: `Bearer ${token}` } }),
      verify: (text) => text.includes('"client_id"'),
    }),
  },
];

/** The peers: oidc-provider (in memory) and the hello-world POST. */
export const PEERS = [
  {
    key: 'oidc_client_credentials',
    label: 'oidc-provider client_credentials',
    prepare: async () => ({
      path: '/token',
      headers: { ...FORM, authorization: basic(TESTCLIENT) },
      body: form({ grant_type: 'client_credentials' }),
      verify: issued,
    }),
  },
  {
    key: 'oidc_introspection',
    label: 'oidc-provider introspection',
    prepare: async (t) => ({
      path: '/token/introspection',
      headers: { ...FORM, authorization: basic(RS) },
      cycle: await accessTokens(t.url, CYCLE, '/token'),
      fill: (token) => ({ body: form({ token }) }),
      verify: active,
    }),
  },
  {
    key: 'hello',
    label: 'fastify hello-world form POST',
    prepare: async () => ({
      path: '/',
      headers: FORM,
      body: form({ grant_type: 'client_credentials' }),
      verify: (text) => text === '{"ok":true}',
    }),
  },
];
