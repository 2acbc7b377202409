/**
 * The server driven by oauth4webapi, an independent and strict OAuth 2.0 client library, over real
 * HTTP: one listening server for the file, whose ISSUER is exactly the URL it listens on (the
 * library compares the metadata `issuer` and the RFC 9207 `iss` response parameter exactly).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkboxValues, hiddenFields } from '../support/browser.js';
import { freePort, oauth2, type ServerProcess, startServer } from '../support/process.js';

const SPA_REDIRECT = 'http://127.0.0.1:9/cb';
const TESTCLIENT_REDIRECT = 'https://www.example.com';
const RS_SECRET = 'resource-server-secret-0123456789';
/** Plain http is fine for a local test server; oauth4webapi insists on being told so. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const spa: oauth.Client = { client_id: 'spa' };
const testclient: oauth.Client = { client_id: 'testclient' };
const rs: oauth.Client = { client_id: 'rs' };

let dataDir: string;
let issuer: string;
let server: ServerProcess | undefined;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'oauth2-o4w-'));
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const env = { DATA_DIR: dataDir, ISSUER: issuer, LOG_LEVEL: 'warn' };
  const cli = async (args: string[]) => {
    const r = await oauth2(args, env);
    if (r.code !== 0) throw new Error(`oauth2 ${args.join(' ')} failed (${r.code}):\n${r.stdout}${r.stderr}`);
  };
  await cli(['fixtures', 'load', 'test_credentials', 'test_scopes']);
  await cli(['clients', 'create', 'spa', '--public', '--redirect-uri', SPA_REDIRECT, '--grant-types', 'authorization_code,refresh_token']);
  await cli(['clients', 'create', 'rs', '--secret', RS_SECRET, '--resource-server', '--grant-types', 'client_credentials']);
  server = await startServer({ ...env, PORT: String(port) });
  as = await oauth.processDiscoveryResponse(
    new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure }),
  );
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A cookie jar over fetch: keeps the session cookie, never follows redirects. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: URLSearchParams } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(new URL(url, issuer), {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      redirect: 'manual',
      ...(init.form ? { body: init.form.toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

function formOf(fields: Record<string, string | string[]>): URLSearchParams {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
  return form;
}

/**
 * Sends a person through the login and consent pages for `authorizationUrl` and returns the URL
 * the server redirects the browser to (the client's callback).
 */
async function runAuthorization(
  authorizationUrl: URL,
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  const browser = new Browser();
  const login = await browser.request(authorizationUrl.href);
  expect(login.status).toBe(200);
  const loginHtml = await login.text();
  const loginFields = hiddenFields(loginHtml, '/web/login');
  expect(loginFields._csrf).toBeTruthy();
  expect(loginFields.request).toBeTruthy();

  const signedIn = await browser.request('/web/login', {
    form: formOf({ ...loginFields, username: 'testuser@example.com', password: 'testpassword' }),
  });
  expect(signedIn.status).toBe(303);
  const consentUrl = signedIn.headers.get('location')!;
  expect(consentUrl).toMatch(/^\/web\/authorize\/\?/);

  const consent = await browser.request(consentUrl);
  expect(consent.status).toBe(200);
  const consentHtml = await consent.text();
  const answer = await browser.request('/web/authorize/', {
    form: formOf({
      ...hiddenFields(consentHtml, '/web/authorize/'),
      decision,
      allow_scope: checkboxValues(consentHtml, 'allow_scope'),
    }),
  });
  expect(answer.status).toBe(303);
  return new URL(answer.headers.get('location')!);
}

interface CodeRequest {
  client: oauth.Client;
  redirectUri: string;
  scope?: string;
}

/** Builds an authorization URL with PKCE (S256) and state, the way an oauth4webapi client does. */
async function authorizationRequest(r: CodeRequest) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', r.client.client_id);
  url.searchParams.set('redirect_uri', r.redirectUri);
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (r.scope) url.searchParams.set('scope', r.scope);
  return { url, codeVerifier, state };
}

/** The whole authorization code flow for the public client: tokens for testuser. */
async function spaTokens(scope?: string): Promise<oauth.TokenEndpointResponse> {
  const { url, codeVerifier, state } = await authorizationRequest({ client: spa, redirectUri: SPA_REDIRECT, ...(scope ? { scope } : {}) });
  const params = oauth.validateAuthResponse(as, spa, await runAuthorization(url), state);
  const response = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, SPA_REDIRECT, codeVerifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, spa, response);
}

/**
 * Calls the protected /api/v1/me with a bearer token; the HTTP status. oauth4webapi turns a 401
 * with a challenge into WWWAuthenticateChallengeError: that one must be RFC 6750 `invalid_token`.
 */
async function meStatus(accessToken: string): Promise<number> {
  try {
    const res = await oauth.protectedResourceRequest(accessToken, 'GET', new URL(`${issuer}/api/v1/me`), undefined, undefined, insecure);
    await res.body?.cancel();
    return res.status;
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    expect(error.cause).toEqual([expect.objectContaining({ scheme: 'bearer', parameters: expect.objectContaining({ error: 'invalid_token' }) })]);
    await error.response.body?.cancel();
    return error.status;
  }
}

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function introspectAsResourceServer(token: string): Promise<oauth.IntrospectionResponse> {
  const res = await oauth.introspectionRequest(as, rs, oauth.ClientSecretBasic(RS_SECRET), token, insecure);
  return oauth.processIntrospectionResponse(as, rs, res);
}

describe('oauth4webapi against a listening server', () => {
  it('discovers RFC 8414 metadata whose issuer is exactly the server URL', async () => {
    const res = await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure });
    expect(new URL(res.url).pathname).toBe('/.well-known/oauth-authorization-server');
    const meta = await oauth.processDiscoveryResponse(new URL(issuer), res);
    expect(meta.issuer).toBe(issuer);
    expect(meta).toMatchObject({
      authorization_endpoint: `${issuer}/web/authorize/`,
      token_endpoint: `${issuer}/api/v1/tokens/`,
      introspection_endpoint: `${issuer}/api/v1/introspect`,
      revocation_endpoint: `${issuer}/api/v1/revoke`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['foo', 'bar', 'qux']));
    expect(meta.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    );
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']),
    );
  });

  it('authorization code with PKCE for the public client (None client auth)', async () => {
    const { url, codeVerifier, state } = await authorizationRequest({ client: spa, redirectUri: SPA_REDIRECT, scope: 'foo bar' });
    const callback = await runAuthorization(url);
    expect(`${callback.origin}${callback.pathname}`).toBe(SPA_REDIRECT);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    const params = oauth.validateAuthResponse(as, spa, callback, state);
    expect(params.get('code')).toBeTruthy();

    const response = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, SPA_REDIRECT, codeVerifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, spa, response);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope?.split(' ').sort()).toEqual(['bar', 'foo']);
    expect(await meStatus(tokens.access_token)).toBe(200);
  });

  it('authorization code for the confidential testclient (ClientSecretBasic, with PKCE)', async () => {
    const { url, codeVerifier, state } = await authorizationRequest({ client: testclient, redirectUri: TESTCLIENT_REDIRECT });
    const params = oauth.validateAuthResponse(as, testclient, await runAuthorization(url), state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      testclient,
      oauth.ClientSecretBasic('testpassword'),
      params,
      TESTCLIENT_REDIRECT,
      codeVerifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, testclient, response);
    expect(tokens.token_type).toBe('bearer');
    // No scope asked for: the default scopes.
    expect(tokens.scope?.split(' ').sort()).toEqual(['bar', 'foo', 'qux']);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await meStatus(tokens.access_token)).toBe(200);
  });

  it('client credentials with ClientSecretBasic and with ClientSecretPost', async () => {
    for (const auth of [oauth.ClientSecretBasic('testpassword'), oauth.ClientSecretPost('testpassword')]) {
      const res = await oauth.clientCredentialsGrantRequest(as, testclient, auth, { scope: 'foo' }, insecure);
      const tokens = await oauth.processClientCredentialsResponse(as, testclient, res);
      expect(tokens.token_type).toBe('bearer');
      expect(tokens.scope).toBe('foo');
      expect(tokens.expires_in).toBe(3600);
      // RFC 6749 §4.4.3: no refresh token.
      expect(tokens.refresh_token).toBeUndefined();
      expect(await meStatus(tokens.access_token)).toBe(200);
    }
  });

  it('refresh rotates the refresh token; a repeat within the grace window gets the same successor', async () => {
    const first = await spaTokens();
    const res = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), first.refresh_token!, insecure);
    const second = await oauth.processRefreshTokenResponse(as, spa, res);
    expect(second.access_token).toBeTruthy();
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope?.split(' ').sort()).toEqual(first.scope?.split(' ').sort());
    expect(await meStatus(second.access_token)).toBe(200);

    // RFC 9700 §4.14 with REFRESH_REUSE_GRACE: a repeat (a retry, another tab) answers the same pair.
    const replay = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), first.refresh_token!, insecure);
    const again = await oauth.processRefreshTokenResponse(as, spa, replay);
    expect(again.refresh_token).toBe(second.refresh_token);
    expect(again.access_token).toBe(second.access_token);
  });

  it('introspection by the resource server: active with its claims, inactive once revoked', async () => {
    const tokens = await spaTokens('foo qux');
    const active = await introspectAsResourceServer(tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      scope: 'foo qux',
      client_id: 'spa',
      username: 'testuser@example.com',
      iss: issuer,
      token_type: 'Bearer',
    });
    expect(typeof active.sub).toBe('string');
    expect(active.sub).not.toBe('');
    const now = Math.floor(Date.now() / 1000);
    expect(active.iat).toBeGreaterThanOrEqual(now - 60);
    expect(active.iat).toBeLessThanOrEqual(now + 5);
    expect(active.exp).toBe(active.iat! + 3600);

    // A client-credentials token stands for the client itself.
    const cc = await oauth.processClientCredentialsResponse(
      as,
      testclient,
      await oauth.clientCredentialsGrantRequest(as, testclient, oauth.ClientSecretBasic('testpassword'), {}, insecure),
    );
    expect(await introspectAsResourceServer(cc.access_token)).toMatchObject({ active: true, client_id: 'testclient', sub: 'testclient' });

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, spa, oauth.None(), tokens.access_token, insecure));
    // RFC 7662 §2.2: an inactive token is `{ "active": false }` and nothing else.
    expect(await introspectAsResourceServer(tokens.access_token)).toEqual({ active: false });
    expect(await introspectAsResourceServer('not-a-token')).toEqual({ active: false });
  });

  it('revocation: access tokens and refresh tokens stop working; unknown tokens still answer 200', async () => {
    const cc = await oauth.processClientCredentialsResponse(
      as,
      testclient,
      await oauth.clientCredentialsGrantRequest(as, testclient, oauth.ClientSecretPost('testpassword'), {}, insecure),
    );
    expect(await meStatus(cc.access_token)).toBe(200);
    const res = await oauth.revocationRequest(as, testclient, oauth.ClientSecretPost('testpassword'), cc.access_token, insecure);
    await expect(oauth.processRevocationResponse(res)).resolves.toBeUndefined();
    expect(await meStatus(cc.access_token)).toBe(401);

    // Revoking a refresh token ends its grant: its access token and the refresh token itself.
    const tokens = await spaTokens();
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, spa, oauth.None(), tokens.refresh_token!, {
        additionalParameters: { token_type_hint: 'refresh_token' },
        ...insecure,
      }),
    );
    expect(await meStatus(tokens.access_token)).toBe(401);
    const refresh = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token!, insecure);
    const err = await rejection(() => oauth.processRefreshTokenResponse(as, spa, refresh));
    expect(err).toMatchObject({ error: 'invalid_grant', status: 400 });

    // RFC 7009 §2.2: an invalid token is not an error.
    await expect(
      oauth.processRevocationResponse(await oauth.revocationRequest(as, testclient, oauth.ClientSecretBasic('testpassword'), 'no-such-token', insecure)),
    ).resolves.toBeUndefined();
  });

  it('a wrong client secret is invalid_client: 401 with a Basic challenge, or a 401 error body', async () => {
    // HTTP Basic: RFC 6749 §5.2 requires 401 and WWW-Authenticate; oauth4webapi throws the challenge.
    const basic = await oauth.clientCredentialsGrantRequest(as, testclient, oauth.ClientSecretBasic('wrong'), {}, insecure);
    const challenge = await rejection(() => oauth.processClientCredentialsResponse(as, testclient, basic));
    expect(challenge).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const c = challenge as oauth.WWWAuthenticateChallengeError;
    expect(c.code).toBe(oauth.WWW_AUTHENTICATE_CHALLENGE);
    expect(c.status).toBe(401);
    expect(c.cause[0]).toMatchObject({ scheme: 'basic', parameters: { realm: 'oauth2' } });
    // The challenge error leaves the body unread: it is the RFC 6749 §5.2 error.
    expect(await c.response.json()).toMatchObject({ error: 'invalid_client' });

    // Credentials in the body: no challenge, so the error body surfaces as ResponseBodyError.
    const post = await oauth.clientCredentialsGrantRequest(as, testclient, oauth.ClientSecretPost('wrong'), {}, insecure);
    const bodyError = await rejection(() => oauth.processClientCredentialsResponse(as, testclient, post));
    expect(bodyError).toBeInstanceOf(oauth.ResponseBodyError);
    expect(bodyError).toMatchObject({ error: 'invalid_client', status: 401 });

    // The same on the introspection endpoint.
    const intro = await oauth.introspectionRequest(as, rs, oauth.ClientSecretBasic('wrong'), 'x', insecure);
    const introError = await rejection(() => oauth.processIntrospectionResponse(as, rs, intro));
    expect(introError).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((introError as oauth.WWWAuthenticateChallengeError).status).toBe(401);
  });

  it('a wrong PKCE code_verifier is invalid_grant', async () => {
    const { url, state } = await authorizationRequest({ client: spa, redirectUri: SPA_REDIRECT });
    const params = oauth.validateAuthResponse(as, spa, await runAuthorization(url), state);
    const wrongVerifier = oauth.generateRandomCodeVerifier();
    const res = await oauth.authorizationCodeGrantRequest(as, spa, oauth.None(), params, SPA_REDIRECT, wrongVerifier, insecure);
    const err = await rejection(() => oauth.processAuthorizationCodeResponse(as, spa, res));
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    expect(err).toMatchObject({ code: oauth.RESPONSE_BODY_ERROR, error: 'invalid_grant', status: 400 });
  });

  it('a denied request comes back as an authorization error response with iss and state', async () => {
    const { url, state } = await authorizationRequest({ client: spa, redirectUri: SPA_REDIRECT });
    const callback = await runAuthorization(url, 'deny');
    const err = await rejection(async () => oauth.validateAuthResponse(as, spa, callback, state));
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect(err).toMatchObject({ code: oauth.AUTHORIZATION_RESPONSE_ERROR, error: 'access_denied' });
  });
});
