import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { toNewEvents } from '../../src/commands/context.js';
import { event } from '../../src/domain/events.js';
import { hashSecret } from '../../src/security/secret-hash.js';
import { VerifiedSecretCache } from '../../src/security/verified-secret-cache.js';
import { startTestServer, type TestServer } from '../support/app.js';

/** Counts the slow-KDF verifications, so that the tests see when the cache spared one. */
const scrypt = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../src/security/secret-hash.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/security/secret-hash.js')>();
  return {
    ...actual,
    verifySecret: (secret: string, stored: string) => {
      scrypt.calls += 1;
      return actual.verifySecret(secret, stored);
    },
  };
});

describe('VerifiedSecretCache', () => {
  let now = 0;
  const cache = new VerifiedSecretCache(300_000, 3, () => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('matches only the secret remembered for the client, against the same stored hash', () => {
    cache.remember('app', 'hash-1', 'right');
    expect(cache.matches('app', 'hash-1', 'right')).toBe(true);
    expect(cache.matches('app', 'hash-1', 'wrong')).toBe(false);
    expect(cache.matches('app', 'hash-1', 'right ')).toBe(false);
    expect(cache.matches('other', 'hash-1', 'right')).toBe(false);
    // A wrong guess does not evict the entry (no one can slow a client down by guessing).
    expect(cache.matches('app', 'hash-1', 'right')).toBe(true);
  });

  it('drops the entry when the stored hash changed (secret rotation) or the entry is older than its TTL', () => {
    cache.remember('app', 'hash-1', 'right');
    expect(cache.matches('app', 'hash-2', 'right')).toBe(false);
    expect(cache.matches('app', 'hash-1', 'right')).toBe(false);
    cache.remember('app', 'hash-1', 'right');
    now += 300_000;
    expect(cache.matches('app', 'hash-1', 'right')).toBe(false);
  });

  it('keeps a bounded number of clients, forgetting the least recently used', () => {
    for (const id of ['a', 'b', 'c', 'd']) cache.remember(id, 'h', 's');
    expect(cache.matches('a', 'h', 's')).toBe(false);
    expect(cache.matches('d', 'h', 's')).toBe(true);
  });
});

describe('VerifiedSecretCache.verify', () => {
  const deferred = () => {
    let resolve!: (ok: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs one slow verification for requests that present the same secret at once, and caches a success', async () => {
    const cache = new VerifiedSecretCache();
    const slow = deferred();
    let calls = 0;
    const verify = () => {
      calls += 1;
      return slow.promise;
    };
    const all = Promise.all(Array.from({ length: 20 }, () => cache.verify('app', 'h', 'right', verify)));
    slow.resolve(true);
    expect(await all).toEqual(Array(20).fill(true));
    expect(calls).toBe(1);
    expect(await cache.verify('app', 'h', 'right', verify)).toBe(true);
    expect(calls).toBe(1);
  });

  it('shares a failure only among the requests that were waiting for it, and never caches it', async () => {
    const cache = new VerifiedSecretCache();
    let calls = 0;
    const verify = (ok: boolean) => () => {
      calls += 1;
      return Promise.resolve(ok);
    };
    expect(await Promise.all([1, 2, 3].map(() => cache.verify('app', 'h', 'wrong', verify(false))))).toEqual([false, false, false]);
    expect(calls).toBe(1);
    expect(await cache.verify('app', 'h', 'wrong', verify(false))).toBe(false);
    expect(calls).toBe(2);
    // Different secrets, or the same secret against another stored hash, are verified apart.
    await Promise.all([cache.verify('app', 'h', 'a', verify(false)), cache.verify('app', 'h', 'b', verify(false)), cache.verify('app', 'h2', 'a', verify(false))]);
    expect(calls).toBe(5);
  });
});

describe('client authentication with the cache', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.close());

  const basic = (secret: string) => `Basic ${Buffer.from(`testclient:${secret}`).toString('base64')}`;
  const cc = (secret: string) => s.token({ grant_type: 'client_credentials' }, basic(secret));

  it('verifies a right secret with scrypt once, then answers repeats without it', async () => {
    expect((await cc('testpassword')).statusCode).toBe(200);
    const before = scrypt.calls;
    for (let i = 0; i < 10; i++) expect((await cc('testpassword')).statusCode).toBe(200);
    // The secret in the body takes the same path.
    const post = await s.token({ grant_type: 'client_credentials', client_id: 'testclient', client_secret: 'testpassword' }, null);
    expect(post.statusCode).toBe(200);
    expect(scrypt.calls).toBe(before);
  });

  it('still refuses a wrong secret after a right one was cached, paying scrypt for it', async () => {
    expect((await cc('testpassword')).statusCode).toBe(200);
    const before = scrypt.calls;
    for (const wrong of ['testpasswor', 'testpassword ', 'TESTPASSWORD', '']) {
      const res = await cc(wrong);
      expect(res.statusCode, wrong).toBe(401);
      expect(res.json().error).toBe('invalid_client');
    }
    expect(scrypt.calls).toBeGreaterThan(before);
    // ... and the right one still passes from the cache.
    const after = scrypt.calls;
    expect((await cc('testpassword')).statusCode).toBe(200);
    expect(scrypt.calls).toBe(after);
  });

  it('pays scrypt once for concurrent requests with the same wrong secret, refusing each', async () => {
    const before = scrypt.calls;
    const answers = await Promise.all(Array.from({ length: 5 }, () => cc('not-the-secret')));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(5).fill(401));
    expect(scrypt.calls).toBe(before + 1);
  });

  it('drops the cached secret when the client secret is rotated (ClientSecretRotated)', async () => {
    expect((await cc('testpassword')).statusCode).toBe(200);
    const rotated = event('ClientSecretRotated', { clientId: 'testclient', secretHash: await hashSecret('new-secret') });
    const { position } = await s.runtime.events.append('client-testclient', toNewEvents([rotated], {}), 'stream_exists');
    await s.runtime.ctx.waitForProjection(position);
    const before = scrypt.calls;
    const old = await cc('testpassword');
    expect(old.statusCode).toBe(401);
    expect(scrypt.calls).toBe(before + 1);
    expect((await cc('new-secret')).statusCode).toBe(200);
    expect((await cc('new-secret')).statusCode).toBe(200);
    expect(scrypt.calls).toBe(before + 2);
  });
});
