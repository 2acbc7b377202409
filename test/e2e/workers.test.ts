import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStoreEnv } from '../support/stores.js';
import { oauth2, type ServerProcess, startServer, untilLogged } from '../support/process.js';

// Each request on a connection of its own: the supervisor hands new connections to the workers
// in turn, so consecutive requests reach different workers.
function post(server: ServerProcess, path: string, body: string, user = 'testclient:testpassword') {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Basic ${Buffer.from(user).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${path} in 5 s`)));
    req.end(body);
  });
}
const workerPids = (server: ServerProcess) =>
  execFileSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
const servedBy = (server: ServerProcess) => new Set([...server.output().matchAll(/"worker":(\d+),"reqId"/g)].map((m) => m[1]));

describe('WORKERS=2: one server, two HTTP worker processes', () => {
  const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-workers-')), LOG_LEVEL: 'info', WORKERS: '2', THROTTLE_CLIENT_FAILURES: '3', ...testStoreEnv() };
  let server: ServerProcess;
  beforeAll(async () => {
    expect((await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], env)).code).toBe(0);
    expect((await oauth2(['clients', 'create', 'rs', '--secret', 'rs-secret', '--resource-server', '--grant-types', 'client_credentials'], env)).code).toBe(0);
    server = await startServer(env);
  });
  afterAll(async () => server?.stop());

  it('serves from both workers, and each sees what the other wrote the moment it answered', async () => {
    expect(workerPids(server)).toHaveLength(2);
    // Writes from both workers at once: every one lands, none is refused for the other's lock.
    const issued = await Promise.all(Array.from({ length: 40 }, () => post(server, '/api/v1/tokens/', 'grant_type=client_credentials')));
    expect(issued.map((r) => r.status)).toEqual(Array(40).fill(200));
    for (const { body } of issued.slice(0, 6)) {
      const seen = await post(server, '/api/v1/introspect', `token=${String(body.access_token)}`, 'rs:rs-secret');
      expect(seen.body).toMatchObject({ active: true, client_id: 'testclient' });
    }
    const code = await post(server, '/api/v1/tokens/', 'grant_type=password&username=testuser@example.com&password=testpassword');
    let refresh = String(code.body.refresh_token);
    for (let i = 0; i < 4; i++) {
      const next = await post(server, '/api/v1/tokens/', `grant_type=refresh_token&refresh_token=${refresh}`);
      expect(next.status).toBe(200);
      refresh = String(next.body.refresh_token);
    }
    await untilLogged(() => servedBy(server).size === 2);
    expect(servedBy(server)).toEqual(new Set(['1', '2']));
  });

  it('counts failed client authentications across workers: the limit holds for the server, not per worker', async () => {
    const wrong = async () => (await post(server, '/api/v1/tokens/', 'grant_type=client_credentials', 'testclient:wrong')).status;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(await wrong());
      // The failure reaches the other worker through the supervisor.
      await new Promise((r) => setTimeout(r, 50));
    }
    // Per worker, each would have seen 3 failures only after all 6.
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it('answers /metrics for the whole server, whichever worker is asked', async () => {
    const count = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/oauth2_tokens_issued_total\{grant_type="client_credentials"\} (\d+)/.exec(text)?.[1]);
    };
    expect(await count()).toBe(40);
    expect(await count()).toBe(40);
  });

  it('a token revoked through one worker is inactive at once on both, though both had it in memory', async () => {
    // As rs: testclient is locked out by the test before.
    const { body } = await post(server, '/api/v1/tokens/', 'grant_type=client_credentials', 'rs:rs-secret');
    const introspect = () => post(server, '/api/v1/introspect', `token=${String(body.access_token)}`, 'rs:rs-secret');
    // Consecutive connections go to the workers in turn: each looks the token up, and keeps it.
    for (let i = 0; i < 4; i++) expect((await introspect()).body).toMatchObject({ active: true });
    expect((await post(server, '/api/v1/revoke', `token=${String(body.access_token)}`, 'rs:rs-secret')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await introspect()).body).toEqual({ active: false });
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim] = workerPids(server);
    process.kill(victim!, 'SIGKILL');
    // Once the supervisor has seen it go (a connection handed over at that very moment is lost
    // with it), the other worker serves alone until the replacement listens, a second later.
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 4; i++) expect((await post(server, '/api/v1/tokens/', 'grant_type=client_credentials', 'rs:rs-secret')).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (!(workerPids(server).length === 2 && !workerPids(server).includes(victim!)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(workerPids(server)).toHaveLength(2);
    expect(server.output()).toContain('a worker exited; starting another');
  });

  it('a worker that replaces one starts from the counters of the server: a locked-out client stays locked out', async () => {
    const workerIds = () => [...server.output().matchAll(/"worker":(\d+),"reqId"/g)].map((m) => m[1]);
    const byReplacement = () => workerIds().filter((w) => w !== '1' && w !== '2').length;
    // Until the replacement answers (connections go to the workers in turn once it listens).
    const deadline = Date.now() + 10_000;
    while (byReplacement() === 0 && Date.now() < deadline) await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } });
    expect(byReplacement()).toBeGreaterThan(0);
    const before = byReplacement();
    // testclient was locked out before the worker died, and its window is still open.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(server, '/api/v1/tokens/', 'grant_type=client_credentials')).status);
    expect(statuses).toEqual([429, 429, 429, 429]);
    await untilLogged(() => byReplacement() > before);
    expect(byReplacement()).toBeGreaterThan(before);
  });

  it('stops every worker on SIGTERM, and exits 0', async () => {
    const pids = workerPids(server);
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('WORKERS=2 when the supervisor dies', () => {
  it('has its workers stop too, instead of serving on without it', async () => {
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-orphans-')), LOG_LEVEL: 'warn', WORKERS: '2', ...testStoreEnv() };
    const server = await startServer(env);
    const pids = workerPids(server);
    expect(pids).toHaveLength(2);
    server.child.kill('SIGKILL');
    const alive = () => pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    const deadline = Date.now() + 10_000;
    while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toEqual([]);
  });
});
