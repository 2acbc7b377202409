import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/app.js';

const timed = async <T>(request: () => Promise<T>) => {
  const started = performance.now();
  const result = await request();
  return { result, ms: performance.now() - started };
};

// On the embedded store, where an append's answer waits for its WAL sync on libuv's thread pool
// (with MongoDB read models it waits for the projector instead, whose writes dominate the time).
describe('a burst of password grants', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s.close());

  const password = () => s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });

  it('does not hold up other grants: their appends still reach the disk while scrypt runs', async () => {
    // testclient's secret is verified once here, and remembered: client_credentials needs no scrypt.
    expect((await s.token({ grant_type: 'client_credentials' })).statusCode).toBe(200);
    // One password grant alone: one scrypt (about 130 ms) and one append.
    const alone = await timed(password);
    expect(alone.result.statusCode).toBe(200);

    const burst = Array.from({ length: 8 }, password);
    await new Promise((resolve) => setTimeout(resolve, 50)); // their scrypts are under way
    const during = await timed(() => s.token({ grant_type: 'client_credentials' }));
    expect(during.result.statusCode).toBe(200);
    expect((await Promise.all(burst)).map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    // Had the scrypts taken every thread of libuv's pool, this append's sync would have waited
    // for two rounds of them (measured: 1.5 s under 32 concurrent password grants).
    expect(during.ms).toBeLessThan(alone.ms / 2);
  });
});
