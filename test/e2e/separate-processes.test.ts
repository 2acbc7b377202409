import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testStoreEnv } from '../support/stores.js';
import { oauth2, type ServerProcess, startProjector, startServer } from '../support/process.js';

const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-split-')), LOG_LEVEL: 'warn', ...testStoreEnv() };
const auth = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`;
const running: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  for (const p of running) await p.stop();
});

async function post(server: ServerProcess, path: string, body: string) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
}
const me = async (server: ServerProcess, token: string) =>
  (await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('API processes and a projector process', () => {
  it('keep read-your-writes: a token works, and a revocation holds, the moment the response is sent', async () => {
    expect((await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], env)).code).toBe(0);
    const projector = await startProjector(env);
    running.push(projector);
    const a = await startServer(env, ['serve', '--api-only']);
    running.push(a);
    const b = await startServer(env, ['serve', '--api-only']);
    running.push(b);

    for (let i = 0; i < 5; i++) {
      const issued = await post(a, '/api/v1/tokens/', 'grant_type=password&username=testuser@example.com&password=testpassword');
      expect(issued.status).toBe(200);
      // Asked of the other API process, with no pause in between.
      expect(await me(b, issued.body.access_token!)).toBe(200);
      const refreshed = await post(b, '/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${issued.body.refresh_token}`);
      expect(refreshed.status).toBe(200);
      expect(await me(a, refreshed.body.access_token!)).toBe(200);
      expect((await post(a, '/api/v1/revoke', `token=${refreshed.body.refresh_token}`)).status).toBe(200);
      expect(await me(b, refreshed.body.access_token!)).toBe(401);
      expect(await me(b, issued.body.access_token!)).toBe(401);
    }
    const ready = await fetch(`${a.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });
});
