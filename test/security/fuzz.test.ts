import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERRORS } from '../../src/domain/errors.js';
import { comparePositions } from '../../src/store/event-store.js';
import { BASIC, startTestServer, type TestServer } from '../support/app.js';

/**
 * The bad input battery (property-based, fast-check): random bodies, parameters, headers and
 * encodings at the token, authorization, introspection and revocation endpoints. Whatever comes
 * in: never a 5xx; an error is a 4xx in the RFC 6749 §5.2 format (or the HTML error page on the
 * pages); a redirect goes only to a registered redirect URI; and a rejected request appends
 * nothing to the event log.
 */
let s: TestServer;
let real: { access: string; refresh: string };
beforeAll(async () => {
  s = await startTestServer();
  // Verified once, the seed client's secret is then checked from the cache, not with scrypt.
  const res = await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });
  real = { access: res.json().access_token, refresh: res.json().refresh_token };
});
afterAll(() => s.close());

const REGISTERED_REDIRECTS = ['https://www.example.com/'];
const ERROR_CODES = Object.keys(OAUTH_ERRORS);
/** RFC 6749 §5.2: error and error_description use %x20-21 / %x23-5B / %x5D-7E only. */
const RFC_CHARS = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

// ── generators ─────────────────────────────────────────────────────────────────────────────────

const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const headerText = fc.string({ unit: headerChar, maxLength: 60 });
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const PARAMS = [
  'grant_type', 'code', 'redirect_uri', 'code_verifier', 'username', 'password', 'refresh_token', 'scope',
  'client_id', 'client_secret', 'token', 'token_type_hint', 'response_type', 'state', 'code_challenge',
  'code_challenge_method', '_csrf', 'decision', 'allow_scope', 'request',
];
const name = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PARAMS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'grant_type[]', '', 'GRANT_TYPE') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const value = (extra: string[] = []) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'client_credentials', 'password', 'authorization_code', 'refresh_token', 'implicit', 'code', 'token',
        '', ' ', 'foo', 'foo bar', 'foo qux nope', 'testuser@example.com', 'testpassword', 'testclient', 'spa',
        'https://www.example.com', 'https://evil.example', 'S256', 'plain', 'allow', 'x'.repeat(2000),
        '\u0000', '%00', '../..', '<script>alert(1)</script>', "' OR 1=1 --", '{"a":1}', '__proto__', 'é', '😀', ...extra,
      ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );
type Encoding = 'proper' | 'raw' | 'plus' | 'broken' | 'latin1' | 'double' | 'bare';
/** Mostly well-formed, so that requests get past parsing; one pair in about eight is mangled. */
const encoding = fc.oneof(
  { weight: 28, arbitrary: fc.constant<Encoding>('proper') },
  { weight: 3, arbitrary: fc.constant<Encoding>('plus') },
  { weight: 5, arbitrary: fc.constantFrom<Encoding>('raw', 'broken', 'latin1', 'double', 'bare') },
);
function encodePair(k: string, v: string, how: Encoding): string {
  const e = encodeURIComponent;
  switch (how) {
    case 'proper':
      return `${e(k)}=${e(v)}`;
    case 'raw':
      return `${k}=${v}`;
    case 'plus':
      return `${e(k)}=${e(v).replace(/%20/g, '+')}`;
    case 'broken':
      return `${e(k)}=${e(v)}%${v.length % 2 ? 'G' : ''}${v.length % 3 ? '4' : ''}`;
    case 'latin1':
      return `${e(k)}=${[...Buffer.from(v, 'latin1')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;
    case 'double':
      return `${e(k)}=${e(e(v))}`;
    case 'bare':
      return e(k);
  }
}
/** A form (or query) of random pairs plus the `required` names, with values biased as given. */
const formText = (extra: string[] = [], required: Record<string, fc.Arbitrary<string>> = {}) =>
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(name, value(extra), encoding), { maxLength: 6, selector: ([k]) => k }),
      fc.tuple(...Object.entries(required).map(([r, v]) => fc.tuple(fc.constant(r), fc.oneof({ weight: 4, arbitrary: v }, value(extra)), encoding))),
    )
    .chain(([pairs, must]) => fc.shuffledSubarray([...pairs, ...must], { minLength: pairs.length + must.length }))
    .map((pairs) => pairs.map(([k, v, how]) => encodePair(k, v, how)).join('&'));
const GRANTS = fc.constantFrom('client_credentials', 'password', 'authorization_code', 'refresh_token');

const FORM = 'application/x-www-form-urlencoded';
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>(FORM) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | undefined>(
      `${FORM}; charset=utf-8`, 'APPLICATION/X-WWW-FORM-URLENCODED', `${FORM}; charset=latin1`, 'application/json',
      'text/plain', 'multipart/form-data; boundary=xyz', 'application/xml', '', undefined,
    ),
  },
  { weight: 1, arbitrary: headerText },
);
const body = (extra: string[] = [], required: Record<string, fc.Arbitrary<string>> = {}) =>
  fc.oneof(
    { weight: 8, arbitrary: formText(extra, required) },
    { weight: 1, arbitrary: fc.dictionary(name, value(extra), { maxKeys: 5 }).map((d) => JSON.stringify(d)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.constant('') },
  );

/** Client authentication: mostly the seed client (cached, fast) or garbage that fails before any KDF. */
type Creds = { header?: string; fields?: string };
const creds = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Creds>({ header: BASIC }) },
  { weight: 2, arbitrary: fc.constant<Creds>({ fields: 'client_id=testclient&client_secret=testpassword' }) },
  { weight: 1, arbitrary: fc.constant<Creds>({ fields: 'client_id=spa' }) },
  { weight: 1, arbitrary: fc.constant<Creds>({}) },
  { weight: 1, arbitrary: fc.constant<Creds>({ header: BASIC, fields: 'client_id=testclient' }) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      headerText,
      headerText.map((t) => `Basic ${t}`),
      headerText.map((t) => `Basic ${b64(t.replace(/:/g, ''))}`),
      headerText.map((t) => `Basic ${b64(`:${t}`)}`),
      headerText.map((t) => `Basic ${b64(`%zz${t}:x`)}`),
      headerText.map((t) => `Bearer ${t}`),
      fc.constantFrom('Basic', 'Basic ', 'basic', 'Basic ===', 'Basic dGVzdGNsaWVudA==', 'Digest x'),
    ).map((header): Creds => ({ header })),
  },
  // These cost a scrypt verification (the decoy, or the real hash): keep them rare.
  { weight: 1, arbitrary: fc.constantFrom<Creds>({ header: `Basic ${b64('ghost:secret')}` }, { header: `Basic ${b64('testclient:wrong')}` }) },
);

// ── checks ─────────────────────────────────────────────────────────────────────────────────────

function expectRfcError(res: LightMyRequestResponse, where: string) {
  expect(res.statusCode, where).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, where).toBeLessThan(500);
  expect(res.headers['content-type'], where).toContain('application/json');
  const err = res.json() as Record<string, unknown>;
  expect(Object.keys(err).every((k) => k === 'error' || k === 'error_description'), where).toBe(true);
  expect(ERROR_CODES, where).toContain(err.error);
  if ('error_description' in err) {
    expect(typeof err.error_description, where).toBe('string');
    expect(err.error_description, where).toMatch(RFC_CHARS);
  }
  expect(res.body, where).not.toMatch(/at .*\.(ts|js):\d+/);
}

/** Runs `fn` and tells whether the event log grew meanwhile (the fuzz server serves one request at a time). */
async function appended<T>(fn: () => Promise<T>): Promise<{ result: T; grew: boolean }> {
  const before = await s.runtime.events.headPosition();
  const result = await fn();
  const after = await s.runtime.events.headPosition();
  return { result, grew: after !== null && (before === null || comparePositions(after, before) > 0) };
}

function postWith(url: string, c: Creds, payload: string | Buffer, type: string | undefined) {
  const withFields = c.fields === undefined ? payload : typeof payload === 'string' ? (payload ? `${payload}&${c.fields}` : c.fields) : payload;
  return s.app.inject({
    method: 'POST',
    url,
    headers: { ...(type === undefined ? {} : { 'content-type': type }), ...(c.header === undefined ? {} : { authorization: c.header }) },
    payload: withFields,
  });
}

// ── properties ─────────────────────────────────────────────────────────────────────────────────

describe('the bad input battery', () => {
  it('token endpoint: a token or an RFC 6749 error, never a 5xx; a rejected request appends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(creds, body([real.access], { grant_type: GRANTS }), contentType, async (c, payload, type) => {
        const { result: res, grew } = await appended(() => postWith('/api/v1/tokens/', c, payload, type));
        const where = `${res.statusCode} ${res.body.slice(0, 200)}`;
        if (res.statusCode === 200) {
          expect(res.json(), where).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
          return;
        }
        expectRfcError(res, where);
        if (res.statusCode === 401 && c.header !== undefined) expect(res.headers['www-authenticate'], where).toMatch(/^Basic /);
        expect(grew, `appended for ${where}`).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('authorization endpoint: a page or a redirect to a registered URI only, never a 5xx, nothing appended', async () => {
    const query = formText(['testclient', 'spa', 'http://localhost:3000/cb', 'https://www.example.com/'], {
      client_id: fc.constantFrom('testclient', 'spa', 'ghost'),
      response_type: fc.constantFrom('code', 'token'),
    });
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const { result: res, grew } = await appended(() => s.app.inject({ method: 'GET', url: `/web/authorize/?${q}` }));
        const where = `${res.statusCode} for ?${q.slice(0, 200)}`;
        expect([200, 302, 400], where).toContain(res.statusCode);
        expect(grew, where).toBe(false);
        if (res.statusCode !== 302) {
          expect(res.headers['content-type'], where).toContain('text/html');
          return;
        }
        const location = new URL(res.headers.location as string);
        expect(REGISTERED_REDIRECTS, where).toContain(`${location.origin}${location.pathname}`);
        // Without a signed-in user there is never a code or token, only an error.
        const answer = new URLSearchParams(location.search || location.hash.slice(1));
        expect(answer.get('error'), where).toMatch(/^[a-z_]+$/);
        expect(answer.has('code') || answer.has('access_token'), where).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('the pages’ forms without a session or CSRF token: a 4xx page, never a 5xx, nothing appended', async () => {
    const url = fc.constantFrom('/web/authorize/', '/web/login', '/web/logout');
    await fc.assert(
      fc.asyncProperty(url, body(['allow']), contentType, async (u, payload, type) => {
        const { result: res, grew } = await appended(() => postWith(u, {}, payload, type));
        const where = `${u} ${res.statusCode}`;
        expect(res.statusCode, where).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, where).toBeLessThan(500);
        expect(res.headers['content-type'], where).toContain('text/html');
        expect(grew, where).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('introspection and revocation: {"active": false}, an empty 200 or an RFC error, never a 5xx, nothing appended', async () => {
    const endpoint = fc.constantFrom('/api/v1/introspect', '/api/v1/revoke');
    await fc.assert(
      fc.asyncProperty(endpoint, creds, body([], { token: fc.string({ maxLength: 60 }) }), contentType, async (url, c, payload, type) => {
        const { result: res, grew } = await appended(() => postWith(url, c, payload, type));
        const where = `${url} ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect(grew, where).toBe(false);
        if (res.statusCode !== 200) return expectRfcError(res, where);
        if (url === '/api/v1/revoke') expect(res.body, where).toBe('');
        else expect(res.json(), where).toEqual({ active: false });
      }),
      { numRuns: 150 },
    );
  });

  it('introspection of a real token among random parameters answers it active, to a client that may see it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(real.access, real.refresh), fc.option(value(), { nil: undefined }), async (token, hint) => {
        const payload = `token=${encodeURIComponent(token)}${hint === undefined ? '' : `&token_type_hint=${encodeURIComponent(hint)}`}`;
        const res = await postWith('/api/v1/introspect', { header: BASIC }, payload, FORM);
        if (hint === '' || hint === undefined || res.statusCode === 200) {
          expect(res.statusCode).toBe(200);
          expect(res.json()).toMatchObject({ active: true, client_id: 'testclient' });
        } else {
          expectRfcError(res, res.body);
        }
      }),
      { numRuns: 30 },
    );
  });
});
