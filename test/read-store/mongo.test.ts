import { describe, it } from 'vitest';
import { openMongoReadStore } from '../../src/store/mongo/mongo-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';
import { freshDbName, MONGO_SKIP_REASON, mongoUrl, urlWithDb } from '../support/mongo.js';

const url = mongoUrl();
if (url) {
  readStoreContract('mongodb', () => openMongoReadStore(urlWithDb(url, freshDbName())));
} else {
  describe('ReadStore contract: mongodb', () => {
    it.skip(MONGO_SKIP_REASON, () => {});
  });
}
