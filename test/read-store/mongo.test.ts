import { describe, expect, it } from 'vitest';
import { collectionName } from '../../src/store/mongo/collections.js';
import { openMongoReadStore } from '../../src/store/mongo/mongo-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';
import { freshDbName, MONGO_SKIP_REASON, mongoUrl, urlWithDb, withMongo } from '../support/mongo.js';

const url = mongoUrl();
if (url) {
  readStoreContract('mongodb', () => openMongoReadStore(urlWithDb(url, freshDbName())));

  describe('MongoDB read models: indexes', () => {
    const indexNames = (dbUrl: string, collection: string) =>
      withMongo(dbUrl, async (client) => (await client.db().collection(collection).indexes()).map((i) => i.name).sort());

    it('indexes tokens by grant and expiry, codes by expiry, also on a generation made before they existed', async () => {
      const dbUrl = urlWithDb(url, freshDbName());
      await (await openMongoReadStore(dbUrl)).close();
      const tokens = collectionName('tokens', 1);
      const codes = collectionName('codes', 1);
      expect(await indexNames(dbUrl, tokens)).toEqual(['_id_', 'expiresAt', 'grantId']);
      expect(await indexNames(dbUrl, codes)).toEqual(['_id_', 'expiresAt']);

      // As an older version left them: without the expiry indexes the pruner needs.
      await withMongo(dbUrl, async (client) => {
        await client.db().collection(tokens).dropIndex('expiresAt');
        await client.db().collection(codes).dropIndex('expiresAt');
      });
      await (await openMongoReadStore(dbUrl)).close();
      expect(await indexNames(dbUrl, tokens)).toEqual(['_id_', 'expiresAt', 'grantId']);
      expect(await indexNames(dbUrl, codes)).toEqual(['_id_', 'expiresAt']);
    });
  });
} else {
  describe('ReadStore contract: mongodb', () => {
    it.skip(MONGO_SKIP_REASON, () => {});
  });
}
