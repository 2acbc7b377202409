import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/sqlite/database.js';
import type { Position } from '../../src/store/event-store.js';
import type { CodeView, TokenView } from '../../src/store/read-store.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';

const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });

readStoreContract('sqlite', async () => new SqliteReadStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-rs-')))));

describe('a file an earlier version wrote', () => {
  it('gets the columns of decision 0015: its rows read as unable to tell what they were issued with, new rows tell it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth2-rs-upgrade-'));
    const token = (label: string, over: Partial<TokenView> = {}): TokenView => ({
      hash: label.repeat(64),
      kind: 'refresh',
      status: 'active',
      grantId: 'g-1',
      clientId: 'app',
      userId: 'u-1',
      username: 'alice',
      scope: 'read',
      issuedAt: 1_764_000_000,
      expiresAt: 4_102_444_800,
      grantRevision: 0,
      grantedScope: 'read write',
      ...over,
    });
    const code = (label: string, issued: CodeView['issued']): CodeView => ({
      hash: label.repeat(64),
      grantId: 'g-2',
      clientId: 'app',
      userId: 'u-1',
      scope: 'read',
      expiresAt: 4_102_444_800,
      issued,
    });
    const issued = { username: 'alice', redirectUri: 'https://app.example/cb', redirectUriProvided: true, codeChallenge: null };
    const before = openDatabase(dir);
    const store = new SqliteReadStore(before);
    await store.commit('tokens', [{ position: pos(1), ops: [{ op: 'putToken', token: token('a') }] }], pos(1), null);
    await store.commit('codes', [{ position: pos(1), ops: [{ op: 'putCode', code: code('c', issued) }] }], pos(1), null);
    // The tables as versions before 0015 created them.
    for (const [table, columns] of [
      ['rm_tokens_g1', ['grant_revision', 'granted_scope']],
      ['rm_codes_g1', ['username', 'redirect_uri', 'redirect_uri_provided', 'code_challenge']],
    ] as const) {
      for (const column of columns) before.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    }
    before.close();

    const upgraded = new SqliteReadStore(openDatabase(dir));
    expect(await upgraded.getToken(token('a').hash)).toEqual(token('a', { grantRevision: null, grantedScope: null }));
    expect(await upgraded.getCode(code('c', null).hash)).toEqual(code('c', null));
    await upgraded.commit('tokens', [{ position: pos(2), ops: [{ op: 'putToken', token: token('b') }] }], pos(2), pos(1));
    await upgraded.commit('codes', [{ position: pos(2), ops: [{ op: 'putCode', code: code('d', issued) }] }], pos(2), pos(1));
    expect(await upgraded.getToken(token('b').hash)).toEqual(token('b'));
    expect(await upgraded.getCode(code('d', issued).hash)).toEqual(code('d', issued));
    // A second process opening the upgraded file changes nothing.
    const again = new SqliteReadStore(openDatabase(dir));
    expect(await again.getToken(token('b').hash)).toEqual(token('b'));
    expect(await again.getCode(code('d', issued).hash)).toEqual(code('d', issued));
  });
});

describe('grants revoked as a whole (decision 0017)', () => {
  const row = (label: string, grantId: string, expiresAt: number): TokenView => ({
    hash: label.repeat(64),
    kind: 'access',
    status: 'active',
    grantId,
    clientId: 'app',
    userId: 'u-1',
    username: 'alice',
    scope: 'read',
    issuedAt: 100,
    expiresAt,
    grantRevision: null,
    grantedScope: null,
  });
  const listed = (dir: string) =>
    (openDatabase(dir).prepare('SELECT count(*) AS n FROM rm_tokens_g1_revoked').get() as { n: number }).n;

  it("keeps a revoked grant's tokens out through every prune, and forgets the grant once they have expired", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth2-rs-revoked-'));
    const store = new SqliteReadStore(openDatabase(dir));
    const [a, b, other] = [row('a', 'g-1', 300), row('b', 'g-1', 500), row('c', 'g-2', 1000)];
    await store.commit('tokens', [{ position: pos(1), ops: [a, b, other].map((token) => ({ op: 'putToken' as const, token })) }], pos(1), null);
    await store.commit('tokens', [{ position: pos(2), ops: [{ op: 'revokeGrant', grantId: 'g-1' }] }], pos(2), pos(1));
    expect(await store.getToken(a.hash)).toBeNull();
    expect(await store.getToken(b.hash)).toBeNull();
    expect(await store.dump('tokens')).toEqual([expect.objectContaining({ hash: other.hash })]);

    // Nothing has expired yet, then a's row has; b's stays listed as revoked.
    expect(await store.pruneExpired(200)).toBe(0);
    expect(await store.getToken(b.hash)).toBeNull();
    expect(await store.pruneExpired(400)).toBe(1);
    expect(await store.getToken(b.hash)).toBeNull();
    expect(listed(dir)).toBe(1);
    // Once every row that could belong to the grant has expired, the listing goes too.
    expect(await store.pruneExpired(1000)).toBe(2);
    expect(listed(dir)).toBe(0);
    expect(await store.getToken(other.hash)).toBeNull();
  });

  it('a file written before it gets the list, drops the grant index, and revokes from then on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth2-rs-upgrade-0017-'));
    const first = new SqliteReadStore(openDatabase(dir));
    await first.commit('tokens', [{ position: pos(1), ops: [{ op: 'putToken', token: row('a', 'g-1', 4_102_444_800) }] }], pos(1), null);
    // The tables as versions before 0017 left them.
    const before = openDatabase(dir);
    before.exec('DROP TABLE rm_tokens_g1_revoked; CREATE INDEX rm_tokens_g1_grant ON rm_tokens_g1 (grant_id)');
    before.close();

    const upgraded = new SqliteReadStore(openDatabase(dir));
    expect(await upgraded.getToken(row('a', 'g-1', 4_102_444_800).hash)).not.toBeNull();
    await upgraded.commit('tokens', [{ position: pos(2), ops: [{ op: 'revokeGrant', grantId: 'g-1' }] }], pos(2), pos(1));
    expect(await upgraded.getToken(row('a', 'g-1', 4_102_444_800).hash)).toBeNull();
    const indexes = openDatabase(dir).prepare("SELECT name FROM pragma_index_list('rm_tokens_g1')").all() as { name: string }[];
    expect(indexes.map((i) => i.name)).not.toContain('rm_tokens_g1_grant');
  });
});
