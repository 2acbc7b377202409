import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../src/commands/fixtures.js';
import { registerClient } from '../../src/commands/register-client.js';
import { registerUser } from '../../src/commands/register-user.js';
import { openRuntime, type Runtime } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { REDACT } from '../../src/http/log-redaction.js';
import { s256, tokenDigest } from '../../src/security/tokens.js';
import { BASIC, form, postToken } from '../support/app.js';
import { checkboxValues, InjectBrowser, redirectParams } from '../support/browser.js';

/**
 * After a run of every flow (code with and without PKCE, a replayed code, implicit, password,
 * client credentials, refresh with a repeat and a reuse, introspection, revocation), no raw token,
 * code, PKCE verifier, client secret, password or session cookie is in any file of DATA_DIR (the
 * SQLite file, its -wal and -shm, the session key), nor in the server's logs at trace level.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'oauth2-at-rest-'));
let logs = '';
let runtime: Runtime;
let app: FastifyInstance;
/** Every credential the flows handled, by what it is. */
const secrets = new Map<string, string>();
const keep = (what: string, value: string | undefined | null) => {
  expect(value, what).toBeTruthy();
  secrets.set(`${what} #${secrets.size}`, value!);
};

const USER_PASSWORD = 'correct horse battery staple';
const CLIENT_SECRET = 'long-random-client-secret-4f1c';
const VERIFIER = 'pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const log = pino({ level: 'trace', redact: { paths: REDACT, censor: '[redacted]' } }, sink);
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'trace' });
  runtime = await openRuntime(config, log);
  await FIXTURES.test_credentials(runtime.ctx, {});
  await FIXTURES.test_scopes(runtime.ctx, {});
  await registerUser(runtime.ctx, { username: 'alice', password: USER_PASSWORD }, {});
  await registerClient(
    runtime.ctx,
    { clientId: 'reporter', name: 'Reporter', secret: CLIENT_SECRET, redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code', 'refresh_token', 'password', 'client_credentials'], allowedScopes: null, resourceServer: true },
    {},
  );
  await registerClient(
    runtime.ctx,
    { clientId: 'spa', name: 'SPA', secret: null, redirectUris: ['http://localhost:3000/cb'], grantTypes: ['authorization_code', 'refresh_token'], allowedScopes: null, resourceServer: false },
    {},
  );
  app = buildApp(runtime, log);
  await app.ready();
  keep('user password', USER_PASSWORD);
  keep('client secret', CLIENT_SECRET);
  keep('seed password', 'testpassword');
  keep('PKCE verifier', VERIFIER);
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
});

const REPORTER = `Basic ${Buffer.from(`reporter:${CLIENT_SECRET}`).toString('base64')}`;
const token = (fields: Record<string, string>, auth: string | null = REPORTER) => postToken(app, fields, auth);
const post = (url: string, fields: Record<string, string>, auth = REPORTER) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, payload: form(fields) });
function keepTokens(what: string, res: LightMyRequestResponse) {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(200);
  const body = res.json() as { access_token: string; refresh_token?: string };
  keep(`${what} access token`, body.access_token);
  if (body.refresh_token) keep(`${what} refresh token`, body.refresh_token);
  return body;
}

/** Signs in as alice through the pages and allows everything (unless remembered); returns the redirect. */
async function authorize(url: string) {
  const browser = new InjectBrowser(app);
  const login = await browser.get(url);
  const afterLogin = await browser.submit(login, '/web/login', { username: 'alice', password: USER_PASSWORD });
  expect(afterLogin.statusCode).toBe(303);
  for (const c of afterLogin.cookies) keep('session cookie', c.value);
  const consent = await browser.get(afterLogin.headers.location as string);
  // A consent already given for these scopes is remembered: the page redirects at once.
  if (consent.statusCode === 302 || consent.statusCode === 303) return redirectParams(consent);
  const res = await browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: checkboxValues(consent.body, 'allow_scope') });
  expect(res.statusCode).toBe(303);
  return redirectParams(res);
}

/**
 * Every encoding a token (or a text secret) could be written in. A token's random part (all but
 * its first 6 bytes, the issuing time, which its digest shows) is searched for on its own too.
 */
function encodings(value: string): Buffer[] {
  const out = [Buffer.from(value, 'utf8')];
  if (/^[A-Za-z0-9_-]{43,44}$/.test(value)) {
    const raw = Buffer.from(value, 'base64url');
    const secret = raw.subarray(6);
    out.push(raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64')));
    out.push(secret, Buffer.from(secret.toString('hex')));
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function leaks(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const [what, value] of secrets) {
      if (encodings(value).some((e) => bytes.includes(e))) found.push(`${what} in ${file}`);
    }
  }
  return found;
}

describe('nothing secret at rest or in the logs', () => {
  it('runs every flow, then finds no credential in any byte of DATA_DIR or of the logs', async () => {
    // Authorization code, confidential client; then refresh, a repeat within the grace window, and a reuse.
    const code = (await authorize('/web/authorize/?response_type=code&client_id=reporter&redirect_uri=https://app.example/cb&state=x')).query.get('code');
    keep('code', code);
    const first = keepTokens('code exchange', await token({ grant_type: 'authorization_code', code: code!, redirect_uri: 'https://app.example/cb' }));
    const second = keepTokens('refresh', await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! }));
    expect(keepTokens('repeat', await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! })).access_token).toBe(second.access_token);
    const third = keepTokens('refresh 2', await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token! }));
    expect((await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! })).json().error).toBe('invalid_grant');
    expect((await token({ grant_type: 'refresh_token', refresh_token: third.refresh_token! })).json().error).toBe('invalid_grant');

    // A replayed code.
    const replayed = (await authorize('/web/authorize/?response_type=code&client_id=reporter&redirect_uri=https://app.example/cb')).query.get('code');
    keep('replayed code', replayed);
    keepTokens('replayed code exchange', await token({ grant_type: 'authorization_code', code: replayed!, redirect_uri: 'https://app.example/cb' }));
    expect((await token({ grant_type: 'authorization_code', code: replayed!, redirect_uri: 'https://app.example/cb' })).statusCode).toBe(400);

    // PKCE with a public client.
    const pkce = (await authorize(`/web/authorize/?response_type=code&client_id=spa&redirect_uri=http://localhost:3000/cb&code_challenge=${s256(VERIFIER)}&code_challenge_method=S256`)).query.get('code');
    keep('PKCE code', pkce);
    keepTokens('PKCE exchange', await token({ grant_type: 'authorization_code', code: pkce!, client_id: 'spa', redirect_uri: 'http://localhost:3000/cb', code_verifier: VERIFIER }, null));

    // Implicit, with the seed client.
    const implicit = await authorize('/web/authorize/?response_type=token&client_id=testclient&redirect_uri=https://www.example.com');
    keep('implicit access token', implicit.fragment.get('access_token'));

    // Password, client credentials (both ways), introspection, revocation, a failed sign-in.
    const pw = keepTokens('password', await token({ grant_type: 'password', username: 'alice', password: USER_PASSWORD }));
    keepTokens('client credentials', await token({ grant_type: 'client_credentials' }));
    keepTokens('client credentials in body', await token({ grant_type: 'client_credentials', client_id: 'testclient', client_secret: 'testpassword' }, null));
    keepTokens('seed client', await token({ grant_type: 'client_credentials' }, BASIC));
    expect((await post('/api/v1/introspect', { token: pw.access_token })).json().active).toBe(true);
    expect((await post('/api/v1/revoke', { token: pw.refresh_token! })).statusCode).toBe(200);
    expect((await token({ grant_type: 'password', username: 'alice', password: 'a-wrong-guess-9d2' })).statusCode).toBe(400);
    keep('wrong password', 'a-wrong-guess-9d2');

    const files = filesUnder(dataDir);
    expect(files.some((f) => f.endsWith('-wal') && statSync(f).size > 0), `a non-empty WAL among ${files.join(', ')}`).toBe(true);
    // The scan does see what is stored: the hashes of the tokens are there.
    const all = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(all.includes(Buffer.from(tokenDigest(pw.access_token)))).toBe(true);
    expect(leaks(files)).toEqual([]);

    // The logs of all that, at trace level, hold none either.
    expect(logs).toContain('request completed');
    const inLogs = [...secrets].filter(([, v]) => encodings(v).some((e) => logs.includes(e.toString('utf8'))));
    expect(inLogs.map(([what]) => what)).toEqual([]);

    // Once the store is closed (the WAL checkpointed into the main file), still nothing.
    await app.close();
    await runtime.close();
    expect(existsSync(join(dataDir, 'oauth2.db'))).toBe(true);
    expect(leaks(filesUnder(dataDir))).toEqual([]);
  });
});
