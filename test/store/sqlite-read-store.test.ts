import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';

readStoreContract('sqlite', async () => new SqliteReadStore(openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-rs-')))));
