import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oauth2, type ServerProcess, startServer } from '../support/process.js';
import { testStoreEnv } from '../support/stores.js';

const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-rebuild-')), LOG_LEVEL: 'warn', ...testStoreEnv() };
const auth = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`;
let server: ServerProcess | undefined;
afterAll(async () => server?.stop());

async function token(): Promise<string> {
  const res = await fetch(`${server!.url}/api/v1/tokens/`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
const me = async (t: string) => (await fetch(`${server!.url}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } })).status;

describe('oauth2 projections rebuild, from another process while the server serves', () => {
  it('switches the server to the new generation without losing a token', async () => {
    expect((await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], env)).code).toBe(0);
    server = await startServer(env);
    const issued: string[] = [];
    for (let i = 0; i < 20; i++) issued.push(await token());

    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const t = await token();
        expect(await me(t), `token ${issued.length}, used as soon as it was issued during the rebuild`).toBe(200);
        issued.push(t);
      }
    })();
    const rebuild = await oauth2(['projections', 'rebuild'], env);
    stop = true;
    await traffic;
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toMatch(/tokens: rebuilt generation 2 from \d+ events/);

    for (const [i, t] of issued.entries()) expect(await me(t), `token ${i} of ${issued.length}, after the rebuild`).toBe(200);
    const status = await oauth2(['projections', 'status', '--json'], env);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { projections: Array<{ projection: string; generation: number; status: string }> };
    expect(parsed.projections.map((p) => [p.projection, p.generation, p.status])).toEqual(
      ['clients', 'codes', 'scopes', 'tokens', 'users'].map((p) => [p, 2, 'active']),
    );
  }, 60_000);
});
