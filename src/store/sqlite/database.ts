import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/** How long a statement waits for another process's lock before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** What a WAL file is cut back to once restarted: over a second of writes at full load here. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

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
  // The WAL file keeps the size it reached, and is written over from its start once a checkpoint
  // restarts it (sqlite/checkpointer.ts): after a burst, the first commit of a restarted WAL cuts
  // it back to this.
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.defaultSafeIntegers(false);
  return db;
}
