import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/** How long a statement waits for another process's lock before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

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
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.defaultSafeIntegers(false);
  return db;
}
