import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Position } from '../../src/store/event-store.js';
import type { PositionedOps, ReadOp, TokenView } from '../../src/store/read-store.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';
import { CommitWatch } from '../../src/store/sqlite/commit-watch.js';
import { TokenCache } from '../../src/store/sqlite/token-cache.js';

const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const at = (n: number, ...ops: ReadOp[]): PositionedOps => ({ position: pos(n), ops });
const token = (hash: string, over: Partial<TokenView> = {}): TokenView => ({
  hash,
  kind: 'refresh',
  status: 'active',
  grantId: 'grant-1',
  clientId: 'app',
  userId: 'user-1',
  username: 'alice',
  scope: 'read',
  issuedAt: 1_764_000_000,
  expiresAt: 1_764_003_600,
  grantRevision: 0,
  grantedScope: 'read',
  ...over,
});

/** Two connections to one file, as two processes (a server and the CLI, two workers) have. */
function twoConnections() {
  const dir = mkdtempSync(join(tmpdir(), 'oauth2-token-cache-'));
  const server = new SqliteReadStore(openDatabase(dir));
  const other = new SqliteReadStore(openDatabase(dir));
  return { server, other };
}

describe('token rows kept in memory on the embedded store', () => {
  it('a token another connection deletes, revokes or prunes is never served as it was', async () => {
    const { server, other } = twoConnections();
    await other.commit('tokens', [at(1, { op: 'putToken', token: token('r1') }, { op: 'putToken', token: token('a1', { kind: 'access' }) })], pos(1), null);
    // Read (and kept) by the server, twice.
    expect((await server.getToken('r1'))?.status).toBe('active');
    expect((await server.getToken('r1'))?.status).toBe('active');

    await other.commit('tokens', [at(2, { op: 'deleteToken', hash: 'r1' })], pos(2), pos(1));
    expect(await server.getToken('r1')).toBeNull();

    expect(await server.getToken('a1')).not.toBeNull();
    await other.commit('tokens', [at(3, { op: 'revokeGrant', grantId: 'grant-1' })], pos(3), pos(2));
    expect(await server.getToken('a1')).toBeNull();

    await other.commit('tokens', [at(4, { op: 'putToken', token: token('old', { grantId: 'grant-2', expiresAt: 100 }) })], pos(4), pos(3));
    expect(await server.getToken('old')).not.toBeNull();
    await other.pruneExpired(200);
    expect(await server.getToken('old')).toBeNull();
  });

  it('a token this connection changes is never served as it was', async () => {
    const { server } = twoConnections();
    await server.commit('tokens', [at(1, { op: 'putToken', token: token('r1') })], pos(1), null);
    expect((await server.getToken('r1'))?.status).toBe('active');
    await server.commit('tokens', [at(3, { op: 'deleteToken', hash: 'r1' })], pos(3), pos(1));
    expect(await server.getToken('r1')).toBeNull();
  });

  it('a rebuilt generation going live (from another connection) is read, not the old one kept', async () => {
    const { server, other } = twoConnections();
    await other.commit('tokens', [at(1, { op: 'putToken', token: token('t1') })], pos(1), null);
    expect(await server.getToken('t1')).not.toBeNull();
    // The rebuild finds no tokens (as if the log had none): the new generation is empty.
    const next = await other.createGeneration('tokens');
    await other.activate('tokens', next, async () => ({ entries: [], checkpoint: pos(1) }));
    // The server looks the active generation up again at most every 500 ms.
    await new Promise((r) => setTimeout(r, 600));
    expect(await server.getToken('t1')).toBeNull();
  });
});

describe('TokenCache', () => {
  const setup = (capacity?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth2-token-cache-'));
    const db = openDatabase(dir);
    db.exec('CREATE TABLE t (x)');
    const cache = new TokenCache(db, capacity);
    let loads = 0;
    const load = (hash: string, found = true) => () => {
      loads += 1;
      return found ? token(hash) : null;
    };
    return { dir, db, cache, load, loads: () => loads };
  };

  it('loads a token once while nothing is committed, and again after another connection commits', async () => {
    const { dir, cache, load, loads } = setup();
    expect((await cache.get('a', 1, load('a')))?.hash).toBe('a');
    expect((await cache.get('a', 1, load('a')))?.hash).toBe('a');
    expect(loads()).toBe(1);
    openDatabase(dir).exec('INSERT INTO t VALUES (1)');
    await cache.get('a', 1, load('a'));
    expect(loads()).toBe(2);
  });

  it('one check of the commits serves the lookups of one turn, made after all of them were asked', async () => {
    const { dir, cache, load, loads } = setup();
    const checks = vi.spyOn(CommitWatch.prototype, 'current');
    await cache.get('a', 1, load('a'));
    expect(checks).toHaveBeenCalledTimes(1);
    // Asked in one turn, with another connection's commit between them: the check runs after
    // both were asked, so neither is answered from the row kept before the commit.
    const first = cache.get('a', 1, load('a'));
    openDatabase(dir).exec('INSERT INTO t VALUES (1)');
    const second = cache.get('a', 1, load('a'));
    await Promise.all([first, second]);
    expect(checks).toHaveBeenCalledTimes(2);
    expect(loads()).toBe(2);
    // A later turn checks again.
    await cache.get('a', 1, load('a'));
    expect(checks).toHaveBeenCalledTimes(3);
    expect(loads()).toBe(2);
    checks.mockRestore();
  });

  it('a check that fails leaves no lookup waiting: they load from SQLite', async () => {
    const { cache, load, loads } = setup();
    await cache.get('a', 1, load('a'));
    const checks = vi.spyOn(CommitWatch.prototype, 'current').mockImplementationOnce(() => {
      throw new Error('the header could not be read');
    });
    expect((await cache.get('a', 1, load('a')))?.hash).toBe('a');
    expect(loads()).toBe(2);
    checks.mockRestore();
  });

  it('loads again after forget() and after a change of generation', async () => {
    const { cache, load, loads } = setup();
    await cache.get('a', 1, load('a'));
    cache.forget();
    await cache.get('a', 1, load('a'));
    await cache.get('a', 2, load('a'));
    expect(loads()).toBe(3);
  });

  it('keeps no unknown token, and nothing read inside a transaction of its connection', async () => {
    const { db, cache, load, loads } = setup();
    expect(await cache.get('missing', 1, load('missing', false))).toBeNull();
    expect(await cache.get('missing', 1, load('missing', false))).toBeNull();
    db.exec('BEGIN');
    await cache.get('a', 1, load('a'));
    db.exec('ROLLBACK');
    await cache.get('a', 1, load('a'));
    expect(loads()).toBe(4);
  });

  it('holds at most its capacity, dropping the least recently used first', async () => {
    const { cache, load, loads } = setup(4);
    for (const h of ['a', 'b', 'c', 'd', 'e', 'f']) await cache.get(h, 1, load(h));
    await cache.get('f', 1, load('f'));
    await cache.get('e', 1, load('e'));
    expect(loads()).toBe(6);
    await cache.get('a', 1, load('a'));
    expect(loads()).toBe(7);
  });

  it('hands out rows no caller can change for the next', async () => {
    const { cache, load } = setup();
    const row = (await cache.get('a', 1, load('a')))!;
    expect(() => Object.assign(row, { status: 'revoked' })).toThrow(TypeError);
  });
});
