import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript, without type declarations
import { measureWrk } from '../../bench/measure-wrk.mjs';

const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as { code?: string }).code !== 'ENOENT';
  }
})();
if (!hasWrk) console.warn('[test/bench] skipped: wrk is not installed (apt-get install wrk; .ci/run does)');

describe.skipIf(!hasWrk)('the benchmark harness with wrk', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('times a pool that runs out before the run ends by its answers, and says it ran out', async () => {
    const pool = Array.from({ length: 500 }, (_, i) => `item-${i}`);
    const load = { path: '/', pool, fill: (item: string) => ({ body: `x=${item}` }) };
    const r = await measureWrk(url, load, 3, { connections: 8 });
    // Answers still in flight when the pool ran out are not counted.
    expect(r.total).toBeGreaterThanOrEqual(500 - 8);
    expect(r.total).toBeLessThanOrEqual(500);
    expect(r.poolSpent).toBe(true);
    // Over the time it took to answer the pool, not the 3 s asked for.
    expect(r.duration).toBeLessThan(2.5);
    expect(r.rps).toBeCloseTo(r.total / r.duration, 6);
  }, 30_000);
});
