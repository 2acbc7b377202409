import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/**
 * The embedded store's one file: WAL, and synchronous=FULL so that a commit is on disk (fsync)
 * before any response that depends on it is sent.
 */
export function openDatabase(dataDir: string, fileName = 'oauth2.db'): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Other processes (the CLI, a separate projector) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  db.defaultSafeIntegers(false);
  return db;
}
