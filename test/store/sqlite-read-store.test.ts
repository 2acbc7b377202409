import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/sqlite/database.js';
import type { Position } from '../../src/store/event-store.js';
import type { TokenView } from '../../src/store/read-store.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';

const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });

readStoreContract('sqlite', async () => new SqliteReadStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-rs-')))));

describe('a file an earlier version wrote', () => {
  it('gets the tokens columns of decision 0015: its rows read as unable to tell their family, new rows tell it', async () => {
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
    const before = openDatabase(dir);
    const store = new SqliteReadStore(before);
    await store.commit('tokens', [{ position: pos(1), ops: [{ op: 'putToken', token: token('a') }] }], pos(1), null);
    // The table as versions before 0015 created it.
    before.exec('ALTER TABLE rm_tokens_g1 DROP COLUMN grant_revision; ALTER TABLE rm_tokens_g1 DROP COLUMN granted_scope');
    before.close();

    const upgraded = new SqliteReadStore(openDatabase(dir));
    expect(await upgraded.getToken(token('a').hash)).toEqual(token('a', { grantRevision: null, grantedScope: null }));
    await upgraded.commit('tokens', [{ position: pos(2), ops: [{ op: 'putToken', token: token('b') }] }], pos(2), pos(1));
    expect(await upgraded.getToken(token('b').hash)).toEqual(token('b'));
    // A second process opening the upgraded file changes nothing.
    expect(await new SqliteReadStore(openDatabase(dir)).getToken(token('b').hash)).toEqual(token('b'));
  });
});
