import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedReadStore } from '../../src/store/cached-read-store.js';
import type { ClientView } from '../../src/store/read-store.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';

const pos = (n: number) => ({ commit: BigInt(n), prepare: BigInt(n) });
const client = (name: string): ClientView => ({
  clientId: 'app',
  name,
  secretHash: null,
  redirectUris: [],
  grantTypes: ['client_credentials'],
  allowedScopes: null,
  resourceServer: false,
});

describe('cachedReadStore', () => {
  it('serves clients from memory for the TTL, forgets them on a commit through it, and sees other writers after the TTL', async () => {
    const db = mkdtempSync(join(tmpdir(), 'oauth2-cache-'));
    const inner = new SqliteReadStore(openDatabase(db));
    let clock = 1000;
    const cached = cachedReadStore(inner, 500, () => clock);
    expect(await cached.getClient('app')).toBeNull();
    // Through the cache: forgotten at once.
    await cached.commit('clients', [{ position: pos(1), ops: [{ op: 'putClient', client: client('one') }] }], pos(1), null);
    expect((await cached.getClient('app'))?.name).toBe('one');
    // Another writer (another process's projector): seen once the TTL is over.
    const other = new SqliteReadStore(openDatabase(db));
    await other.commit('clients', [{ position: pos(2), ops: [{ op: 'putClient', client: client('two') }] }], pos(2), pos(1));
    expect((await cached.getClient('app'))?.name).toBe('one');
    clock += 501;
    expect((await cached.getClient('app'))?.name).toBe('two');
  });

  it('caches the scope list the same way', async () => {
    const inner = new SqliteReadStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-cache-'))));
    const cached = cachedReadStore(inner, 60_000);
    expect(await cached.listScopes()).toEqual([]);
    await cached.commit('scopes', [{ position: pos(1), ops: [{ op: 'putScope', scope: { name: 'foo', description: 'Foo', isDefault: true } }] }], pos(1), null);
    expect((await cached.listScopes()).map((s) => s.name)).toEqual(['foo']);
  });

  it('has lookups that miss together share one read, and a forget meanwhile keep that read out of the cache', async () => {
    const inner = new SqliteReadStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-cache-'))));
    await inner.commit('clients', [{ position: pos(1), ops: [{ op: 'putClient', client: client('one') }] }], pos(1), null);
    let reads = 0;
    let release = () => {};
    const gate = () => new Promise<void>((resolve) => (release = resolve));
    let opened = gate();
    const counting = Object.assign(Object.create(inner) as SqliteReadStore, {
      // Read at once, answered once the gate opens.
      getClient: async (id: string) => {
        reads += 1;
        const value = await inner.getClient(id);
        await opened;
        return value;
      },
      listScopes: async () => {
        reads += 1;
        const value = await inner.listScopes();
        await opened;
        return value;
      },
    });
    const cached = cachedReadStore(counting, 60_000);
    // Dozens of requests find the entry missing at once: one read.
    const together = Array.from({ length: 20 }, () => cached.getClient('app'));
    const scopes = [cached.listScopes(), cached.listScopes()];
    release();
    expect((await Promise.all(together)).map((c) => c?.name)).toEqual(Array(20).fill('one'));
    expect(await Promise.all(scopes)).toEqual([[], []]);
    expect(reads).toBe(2);

    // A read begun before a forget (a client changed by this process) must not fill the cache.
    cached.forget('clients');
    opened = gate();
    const stale = cached.getClient('app');
    cached.forget('clients');
    await inner.commit('clients', [{ position: pos(2), ops: [{ op: 'putClient', client: client('two') }] }], pos(2), pos(1));
    release();
    expect((await stale)?.name).toBe('one');
    opened = Promise.resolve();
    expect((await cached.getClient('app'))?.name).toBe('two');
    expect(reads).toBe(4);
  });
});
