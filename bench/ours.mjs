// Our server's fresh store: a temp DATA_DIR (embedded SQLite, fsync on), the seed fixtures and a
// resource-server client `rs` for introspection; optionally MongoDB read models in a fresh database.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { oauth2 } from './processes.mjs';
import { RS } from './pools.mjs';

/** The same connection string with `dbName` as its path. */
function withDatabase(url, dbName) {
  const [base = '', query] = url.split('?', 2);
  const hosts = base.replace(/^(mongodb(?:\+srv)?:\/\/[^/]*).*$/, '$1');
  return `${hosts}/${dbName}${query === undefined ? '' : `?${query}`}`;
}

/** `cli`: the build whose CLI loads the fixtures (another build's for --compare). */
export async function freshStore({ mongoUrl, cli } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'oauth2-bench-'));
  const mongo = mongoUrl ? withDatabase(mongoUrl, `oauth2_bench_${randomBytes(6).toString('hex')}`) : null;
  const env = { DATA_DIR: dataDir, ...(mongo ? { MONGODB_URL: mongo } : {}) };
  await oauth2(['fixtures', 'load', 'test_credentials', 'test_scopes'], env, cli);
  await oauth2(['clients', 'create', RS.id, '--secret', RS.secret, '--resource-server', '--grant-types', 'client_credentials'], env, cli);
  return {
    env,
    dataDir,
    async remove() {
      await rm(dataDir, { recursive: true, force: true });
      if (mongo) {
        const client = new MongoClient(mongo);
        try {
          await client.connect();
          await client.db().dropDatabase();
        } finally {
          await client.close();
        }
      }
    },
  };
}
