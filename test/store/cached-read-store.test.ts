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
});
