import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testStoreEnv } from '../support/stores.js';
import { oauth2, type ServerProcess, startServer, untilLogged } from '../support/process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'oauth2-e2e-'));
// No grace window: a repeat of a refresh is reuse at once (RFC 9700 §4.14), also across a restart.
const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info', REFRESH_REUSE_GRACE: '0', ...testStoreEnv() };
const auth = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`;
let server: ServerProcess | undefined;
afterAll(async () => server?.stop('SIGKILL'));

async function post(path: string, body: string) {
  const res = await fetch(`${server!.url}${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
}
const me = async (token: string) =>
  (await fetch(`${server!.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('durability across kill -9', () => {
  it('keeps every token, refresh token and revocation', async () => {
    const loaded = await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], env);
    expect(loaded.code).toBe(0);
    server = await startServer(env);
    const pw = 'grant_type=password&username=testuser@example.com&password=testpassword';
    const kept = (await post('/api/v1/tokens/', pw)).body;
    const rotated = (await post('/api/v1/tokens/', pw)).body;
    const successor = (await post('/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${rotated.refresh_token}`)).body;
    const revoked = (await post('/api/v1/tokens/', pw)).body;
    expect((await post('/api/v1/revoke', `token=${revoked.refresh_token}`)).status).toBe(200);
    // kill -9 loses the lines not written yet.
    const first = server;
    await untilLogged(() => first.output().includes('"url":"/api/v1/revoke"'));
    const output = server.output();

    await server.stop('SIGKILL');
    server = await startServer(env);

    expect(await me(kept.access_token!)).toBe(200);
    expect(await me(successor.access_token!)).toBe(200);
    expect(await me(revoked.access_token!)).toBe(401);
    const reuse = await post('/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${rotated.refresh_token}`);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await post('/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${revoked.refresh_token}`)).body.error).toBe('invalid_grant');
    // The reuse revoked the whole family, its successor included.
    expect((await post('/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${successor.refresh_token}`)).body.error).toBe('invalid_grant');
    expect(await me(successor.access_token!)).toBe(401);
    expect((await post('/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${kept.refresh_token}`)).status).toBe(200);

    // The logs of all that traffic hold no credential: the second server's, whole once it exits.
    await server.stop();
    const logs = output + server.output();
    expect(output).toContain('"url":"/api/v1/revoke"');
    expect(logs).toContain('request completed');
    for (const secret of [kept.access_token, kept.refresh_token, rotated.refresh_token, 'testpassword', auth.slice(6)]) {
      expect(logs).not.toContain(secret);
    }
  });
});
