import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/store/sqlite/database.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'oauth2-rs-'));

readStoreContract('sqlite', async () => new SqliteReadStore(openDatabase(tempDir())));

// The suite's tests must not collide when they share one database, as they would on a server.
let shared: Db | null = null;
readStoreContract('sqlite, one shared file', async () => {
  shared ??= openDatabase(tempDir());
  return new SqliteReadStore(shared);
});
