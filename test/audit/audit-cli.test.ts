import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../src/security/tokens.js';
import { CLI, oauth2, type ServerProcess, startServer } from '../support/process.js';
import { childEnv } from '../support/stores.js';
import type { AuditEntry } from '../../src/audit/entry.js';

/**
 * `oauth2 audit` as an operator runs it: the built CLI, on the DATA_DIR of a running server that
 * has issued, refreshed and revoked tokens over HTTP.
 */

const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-audit-cli-')), LOG_LEVEL: 'warn' };
const BASIC = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`;
const FULL_HASH = /[0-9a-f]{64}/;
const short = (token: string) => `…${tokenDigest(token).slice(-8)}`;

interface Tokens {
  access_token: string;
  refresh_token?: string;
  scope: string;
}
interface LiveToken {
  grantId: string;
  kind: string;
  token: string;
  scope: string;
}

let server: ServerProcess;
let issued: Tokens;
let refreshed: Tokens;
let service: Tokens;
let grantId: string;
/** Every raw token and code the flow produced: none may ever be printed. */
let secrets: string[];

async function token(form: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/api/v1/tokens/`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'audit-test/1.0' },
    body: new URLSearchParams(form),
  });
}

const audit = async (...args: string[]) => oauth2(['audit', ...args], env);
const json = async <T>(...args: string[]): Promise<T> => {
  const res = await audit(...args, '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as T;
};

beforeAll(async () => {
  expect((await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], env)).code).toBe(0);
  server = await startServer(env);
  const first = await token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });
  expect(first.status).toBe(200);
  issued = (await first.json()) as Tokens;
  refreshed = (await (await token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token!, scope: 'foo' })).json()) as Tokens;
  expect(refreshed.scope).toBe('foo');
  service = (await (await token({ grant_type: 'client_credentials', scope: 'bar' })).json()) as Tokens;
  // Space the revocation from the issuing, so that T−1 s falls between them.
  await new Promise((r) => setTimeout(r, 1500));
  const revoke = await fetch(`${server.url}/api/v1/revoke`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'audit-test/1.0' },
    body: new URLSearchParams({ token: refreshed.refresh_token! }),
  });
  expect(revoke.status).toBe(200);
  secrets = [issued.access_token, issued.refresh_token!, refreshed.access_token, refreshed.refresh_token!, service.access_token];
}, 60_000);
afterAll(async () => server?.stop());

// Each run of the CLI starts a Node process (about a second, more on a busy machine).
describe('oauth2 audit token', { timeout: 90_000 }, () => {
  it('finds the grant of a raw token (here a rotated refresh token) and prints its life, one line per event, without the token', async () => {
    const res = await audit('token', issued.refresh_token!);
    expect(res.code, res.stderr).toBe(0);
    const [header, ...lines] = res.stdout.trim().split('\n');
    grantId = /^grant (\S+)$/.exec(header!)![1]!;
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['TokenIssued', 'TokenRefreshed', 'TokenRevoked']);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}TokenIssued +client=testclient user=testuser@example.com {2}grantType=password scope="bar foo qux" /);
    expect(lines[0]).toContain(`accessToken=${short(issued.access_token)}`);
    expect(lines[1]).toContain(`previousRefreshToken=${short(issued.refresh_token!)}`);
    expect(lines[2]).toMatch(/TokenRevoked +client=testclient {2}reason=revocation_request target=grant ip=127\.0\.0\.1$/);
    for (const secret of secrets) expect(res.stdout).not.toContain(secret);
    expect(res.stdout).not.toMatch(FULL_HASH);
  });

  it('finds the same grant from its current access token or its grant id; --json gives the events with request context', async () => {
    expect((await audit('token', refreshed.access_token)).stdout.split('\n')[0]).toBe(`grant ${grantId}`);
    const entries = await json<AuditEntry[]>('token', grantId);
    expect(entries.map((e) => e.event)).toEqual(['TokenIssued', 'TokenRefreshed', 'TokenRevoked']);
    for (const e of entries) {
      expect(Object.keys(e)).toEqual(['time', 'event', 'stream', 'actor', 'requestId', 'ip', 'userAgent', 'details']);
      expect(e).toMatchObject({ stream: `grant-${grantId}`, ip: '127.0.0.1', userAgent: 'audit-test/1.0' });
      expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(entries[2]).toMatchObject({ actor: { clientId: 'testclient' }, details: { grantId, reason: 'revocation_request', target: 'grant' } });
    expect(entries[1]!.details).toMatchObject({ grantType: 'refresh_token', scope: 'foo', refreshToken: short(refreshed.refresh_token!) });
  });

  it('reads the token from stdin with -, so that it stays out of argv', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, [CLI, 'audit', 'token', '-'], { env: childEnv(env) }, (error, out) =>
        error ? reject(error) : resolve(out),
      );
      child.stdin!.end(`${refreshed.refresh_token}\n`);
    });
    expect(stdout.split('\n')[0]).toBe(`grant ${grantId}`);
    expect(stdout).not.toContain(refreshed.refresh_token);
  });

  it('exits 1 with a clear message for a token it does not know, without echoing it', async () => {
    const unknown = 'x'.repeat(43);
    const res = await audit('token', unknown);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no grant found for that token or grant id');
    expect(res.stderr + res.stdout).not.toContain(unknown);
    // base64url tokens may begin with '-': one is a token, not an unknown option.
    const dashed = await audit('token', `-${'y'.repeat(42)}`);
    expect(dashed.code).toBe(1);
    expect(dashed.stderr).toContain('no grant found for that token or grant id');
  });
});

describe('oauth2 audit client / user', { timeout: 90_000 }, () => {
  it("lists every event of a client's grants in log order", async () => {
    const entries = await json<AuditEntry[]>('client', 'testclient');
    expect(entries.map((e) => e.event)).toEqual(['TokenIssued', 'TokenRefreshed', 'TokenIssued', 'TokenRevoked']);
    expect(entries[2]!.details).toMatchObject({ grantType: 'client_credentials', scope: 'bar', accessToken: short(service.access_token) });
    const human = await audit('client', 'testclient');
    expect(human.stdout.trim().split('\n')).toHaveLength(4);
    expect(human.stdout).toContain(`grantId=${grantId}`);
  });

  it("lists a user's grants by username, whatever its case, and not the client's own tokens", async () => {
    const entries = await json<AuditEntry[]>('user', 'TestUser@Example.com');
    expect(entries.map((e) => e.event)).toEqual(['TokenIssued', 'TokenRefreshed', 'TokenRevoked']);
    expect(entries.every((e) => e.details.grantId === grantId)).toBe(true);
  });

  it('keeps what happened between --since and --until', async () => {
    const entries = await json<AuditEntry[]>('token', grantId);
    const [issuedAt, refreshedAt, revokedAt] = entries.map((e) => e.time);
    expect((await json<AuditEntry[]>('client', 'testclient', '--since', revokedAt!)).map((e) => e.event)).toEqual(['TokenRevoked']);
    const upToRefresh = await json<AuditEntry[]>('user', 'testuser@example.com', '--since', issuedAt!, '--until', refreshedAt!);
    expect(upToRefresh.map((e) => e.event)).toEqual(['TokenIssued', 'TokenRefreshed']);
  });

  it('--as-of: a token revoked at T is live as of T−1 s and not as of T+1 s', async () => {
    const entries = await json<AuditEntry[]>('token', grantId);
    const T = Date.parse(entries.find((e) => e.event === 'TokenRevoked')!.time);
    const iso = (ms: number) => new Date(ms).toISOString();

    const before = await json<LiveToken[]>('client', 'testclient', '--as-of', iso(T - 1000));
    expect(before.filter((t) => t.grantId === grantId).map((t) => [t.kind, t.token, t.scope])).toEqual([
      ['access', short(issued.access_token), 'bar foo qux'],
      ['access', short(refreshed.access_token), 'foo'],
      ['refresh', short(refreshed.refresh_token!), 'foo'],
    ]);
    const after = await json<LiveToken[]>('client', 'testclient', '--as-of', iso(T + 1000));
    expect(after.filter((t) => t.grantId === grantId)).toEqual([]);
    // The client's other token was not revoked: it is still live.
    expect(after.map((t) => t.token)).toEqual([short(service.access_token)]);

    const human = await audit('user', 'testuser@example.com', '--as-of', iso(T - 1000));
    expect(human.stdout).toMatch(new RegExp(`^refresh +${short(refreshed.refresh_token!)} +grant=${grantId} +client=testclient +user=testuser@example.com +scope=foo `, 'm'));
    expect((await audit('user', 'testuser@example.com', '--as-of', iso(T + 1000))).stdout.trim()).toMatch(/^no live tokens at /);
  });

  it('rejects bad times, contradictory options and unknown names with a message and exit code 1', async () => {
    const cases: [string[], RegExp][] = [
      [['client', 'testclient', '--since', 'yesterday'], /since: "yesterday" is not an ISO 8601 time/],
      [['client', 'testclient', '--as-of', '2025-02-30'], /--as-of: "2025-02-30" is not an ISO 8601 time/],
      [['user', 'testuser@example.com', '--since', '2025-03-02', '--until', '2025-03-01'], /since is after until/],
      [['client', 'testclient', '--as-of', '2025-03-01', '--since', '2025-01-01'], /--as-of cannot be combined/],
      [['client', 'nobody'], /no client nobody/],
      [['user', 'nobody'], /no user nobody/],
    ];
    const results = await Promise.all(cases.map(([args]) => audit(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const res = results[i]!;
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
