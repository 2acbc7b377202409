import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitWatch } from '../../src/store/sqlite/commit-watch.js';
import { openDatabase } from '../../src/store/sqlite/database.js';

/** Two connections to one file, as two processes (two workers, a server and the CLI) have. */
function twoConnections(journalMode?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'oauth2-commit-watch-'));
  const here = openDatabase(dir);
  if (journalMode) here.pragma(`journal_mode = ${journalMode}`);
  const other = openDatabase(dir);
  if (journalMode) other.pragma(`journal_mode = ${journalMode}`);
  here.exec('CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)');
  return { here, other, insert: other.prepare('INSERT INTO t (v) VALUES (?)') };
}

describe('CommitWatch: has another connection committed?', () => {
  it('on the WAL database it reads the header, and sees every commit of another connection, through WAL restarts', () => {
    const { here, other, insert } = twoConnections();
    const watch = new CommitWatch(here);
    expect(watch.readsHeader).toBe(true);
    let seen = watch.current();
    for (let i = 0; i < 300; i++) {
      insert.run(`row ${i}`);
      // Every so often the other connection checkpoints the whole WAL and the next commit starts
      // it again from its first frame, with new salts.
      if (i % 50 === 49) other.pragma('wal_checkpoint(RESTART)');
      const now = watch.current();
      expect(now, `commit ${i}`).not.toBe(seen);
      seen = now;
    }
    expect(watch.readsHeader).toBe(true);
    watch.close();
  });

  it('stays the same while nobody commits: reads of either connection are not changes', () => {
    const { here, other, insert } = twoConnections();
    insert.run('a');
    const watch = new CommitWatch(here);
    const before = watch.current();
    here.prepare('SELECT * FROM t').all();
    other.prepare('SELECT * FROM t').all();
    expect(watch.current()).toBe(before);
    expect(watch.current()).toBe(before);
    watch.close();
  });

  it('without a WAL (rollback journal, or in memory) it asks PRAGMA data_version, and still sees commits', () => {
    const { here, insert } = twoConnections('DELETE');
    const watch = new CommitWatch(here);
    expect(watch.readsHeader).toBe(false);
    const before = watch.current();
    expect(watch.current()).toBe(before);
    insert.run('a');
    expect(watch.current()).not.toBe(before);

    const memory = new CommitWatch(new Database(':memory:'));
    expect(memory.readsHeader).toBe(false);
  });
});
