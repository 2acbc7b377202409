import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oauth2, type ServerProcess, startServer } from '../support/process.js';

const env = () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-cli-')), LOG_LEVEL: 'warn' });
let server: ServerProcess | undefined;
afterAll(async () => server?.stop());

describe('oauth2 CLI', () => {
  it('exits 1 with a clear message for a bad configuration value', async () => {
    for (const [name, value] of [['PORT', 'eighty'], ['ACCESS_TOKEN_LIFETIME', '-5'], ['IGNORE_CLIENT_REQUESTED_SCOPE', 'maybe'], ['ISSUER', 'not a url'], ['WORKERS', 'many'], ['WORKERS', '0'], ['TRUST_PROXY', 'everyone']]) {
      const res = await oauth2(['serve'], { ...env(), [name!]: value! });
      expect(res.code, name).toBe(1);
      expect(res.stderr).toContain(`invalid configuration`);
      expect(res.stderr).toContain(name);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('loads the fixtures, and loading them twice is harmless', async () => {
    const e = env();
    const first = await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], e);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('added client testclient');
    const second = await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], e);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('test_credentials: already loaded');
    expect(second.stdout).toContain('test_scopes: already loaded');
    expect((await oauth2(['fixtures', 'load', 'nope'], e)).code).not.toBe(0);
  });

  it('creates clients, users and scopes that a running server honours at once', async () => {
    const e = env();
    server = await startServer(e);
    expect((await oauth2(['scopes', 'define', 'reports', '--description', 'Read reports', '--default'], e)).code).toBe(0);
    const client = await oauth2(
      ['clients', 'create', 'reporter', '--secret', 's3cret-value', '--grant-types', 'password,client_credentials', '--name', 'Reporter'],
      e,
    );
    expect(client.code).toBe(0);
    expect((await oauth2(['users', 'create', 'alice', '--password', 'correct horse'], e)).code).toBe(0);
    const taken = await oauth2(['users', 'create', 'ALICE', '--password', 'x'], e);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('taken');

    // The server picks up events written by another process (the CLI) within its poll interval.
    const auth = `Basic ${Buffer.from('reporter:s3cret-value').toString('base64')}`;
    let res: Response | undefined;
    for (let i = 0; i < 40; i++) {
      res = await fetch(`${server.url}/api/v1/tokens/`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&username=Alice&password=correct%20horse',
      });
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(res!.status).toBe(200);
    expect(((await res!.json()) as { scope: string }).scope).toBe('reports');
  });
});
