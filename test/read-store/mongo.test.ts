import { type Collection, MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { Position } from '../../src/store/event-store.js';
import { PROJECTION_NAMES, type ReadOp } from '../../src/store/read-store.js';
import { CheckpointWaiter } from '../../src/projections/checkpoint-waiter.js';
import { collectionName } from '../../src/store/mongo/collections.js';
import { insertManyOnce, putIfNotNewer, updateIfNotNewer } from '../../src/store/mongo/guarded-write.js';
import { MongoReadStore } from '../../src/store/mongo/mongo-read-store.js';
import { openMongoReadStore } from '../../src/store/mongo/open-mongo-read-store.js';
import { readStoreContract } from '../contract/read-store.contract.js';
import { freshDbName, MONGO_SKIP_REASON, mongoUrl, urlWithDb, withMongo } from '../support/mongo.js';

const url = mongoUrl();
const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
/** A token's insert, keyed by `hash` (64 characters). */
const putToken = (hash: string, grantId: string): ReadOp => ({
  op: 'putToken',
  token: { hash, kind: 'access', status: 'active', grantId, clientId: 'app', userId: null, username: null, scope: 'read', issuedAt: 1, expiresAt: 4_102_444_800, grantRevision: null, grantedScope: null },
});

if (url) {
  // Both ways of checking the position guards, whatever server this is (by default the client
  // checks them on FerretDB, the server on MongoDB).
  readStoreContract('mongodb, guards on the server', () => openMongoReadStore(urlWithDb(url, freshDbName()), { guards: 'server' }));
  readStoreContract('mongodb, guards on the client', () => openMongoReadStore(urlWithDb(url, freshDbName()), { guards: 'client' }));

  describe.each(['server', 'client'] as const)('MongoDB read models: position guards checked on the %s', (mode) => {
    interface Doc {
      _id: string;
      pos: string;
      name: string;
    }
    const run = (fn: (coll: Collection<Doc>) => Promise<void>) =>
      withMongo(urlWithDb(url, freshDbName()), (client) => fn(client.db().collection<Doc>('guarded')));

    it('an older write, replayed after a newer one, leaves the document as the newer one wrote it', () =>
      run(async (coll) => {
        await putIfNotNewer(coll, 'x', 'k5', { name: 'five' }, mode);
        await putIfNotNewer(coll, 'x', 'k3', { name: 'three' }, mode);
        await updateIfNotNewer(coll, 'x', 'k4', { name: 'four' }, mode);
        expect(await coll.findOne({ _id: 'x' })).toEqual({ _id: 'x', pos: 'k5', name: 'five' });
        await updateIfNotNewer(coll, 'x', 'k6', { name: 'six' }, mode);
        await putIfNotNewer(coll, 'x', 'k6', { name: 'six again' }, mode);
        expect(await coll.findOne({ _id: 'x' })).toEqual({ _id: 'x', pos: 'k6', name: 'six again' });
        // An update of a missing document leaves it missing.
        await updateIfNotNewer(coll, 'y', 'k7', { name: 'seven' }, mode);
        expect(await coll.findOne({ _id: 'y' })).toBeNull();
      }));
  });

  describe('MongoDB read models: token inserts of a batch in one round trip', () => {
    interface Doc {
      _id: string;
      pos: string;
      name: string;
    }
    it('writes every new document, and leaves one already there as it was (a replayed batch)', () =>
      withMongo(urlWithDb(url, freshDbName()), async (client) => {
        const coll = client.db().collection<Doc>('tokens');
        await insertManyOnce(coll, [{ id: 'b', key: 'k1', fields: { name: 'first b' } }]);
        const docs = ['a', 'b', 'c', 'c'].map((id, i) => ({ id, key: `k${i + 2}`, fields: { name: `${id} again` } }));
        await insertManyOnce(coll, docs);
        expect(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual([
          { _id: 'a', pos: 'k2', name: 'a again' },
          { _id: 'b', pos: 'k1', name: 'first b' },
          { _id: 'c', pos: 'k4', name: 'c again' },
        ]);
      }));
  });

  describe('MongoDB read models: a token written just before a rebuild switched generations', () => {
    it('is found while the new generation has yet to catch it up, in the one that is retiring', async () => {
      const store = await openMongoReadStore(urlWithDb(url, freshDbName()));
      const token = (label: string) => putToken(label.padEnd(64, '0'), `g-${label}`);
      try {
        await store.commit('tokens', [{ position: pos(1), ops: [token('a')] }], pos(1), null);
        const next = await store.createGeneration('tokens');
        // The live projector writes b to the generation it serves; the rebuild's last catch-up
        // read the log just before b was appended, and switches without it.
        await store.commit('tokens', [{ position: pos(2), ops: [token('b')] }], pos(2), pos(1));
        await store.activate('tokens', next, async () => ({ entries: [{ position: pos(1), ops: [token('a')] }], checkpoint: pos(1) }));
        // Past the time a reader keeps its view of the active generation.
        await new Promise((r) => setTimeout(r, 600));
        expect(await store.getToken('b'.padEnd(64, '0'))).toMatchObject({ grantId: 'g-b', status: 'active' });
        expect(await store.getToken('a'.padEnd(64, '0'))).toMatchObject({ grantId: 'g-a' });
        expect(await store.getToken('c'.padEnd(64, '0'))).toBeNull();
        // Once the old generation is dropped, only the new one answers.
        await store.dropGeneration('tokens', 1);
        await new Promise((r) => setTimeout(r, 600));
        expect(await store.getToken('b'.padEnd(64, '0'))).toBeNull();
      } finally {
        await store.close();
      }
    });
  });

  describe('MongoDB read models: a retiring generation dropped while the live projection writes to it', () => {
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const tokenOp = (n: number) => putToken(hex(n), `g${n}`);

    it('commits the batch, and the dropped generation stays dropped: no collection, no checkpoint', async () => {
      const dbUrl = urlWithDb(url, freshDbName());
      const store = await openMongoReadStore(dbUrl);
      try {
        await store.commit('tokens', [{ position: pos(1), ops: [tokenOp(0)] }], pos(1), null);
        const next = await store.createGeneration('tokens');
        await store.activate('tokens', next, async () => ({ entries: [{ position: pos(1), ops: [tokenOp(0)] }], checkpoint: pos(1) }));
        // Enough writes that the drop lands in the middle of them: the retiring generation (1)
        // is written first, one token after another.
        const batch = { position: pos(2), ops: Array.from({ length: 300 }, (_, i) => tokenOp(i + 1)) };
        const committing = store.commit('tokens', [batch], pos(2), pos(1));
        await withMongo(dbUrl, async (client) => {
          const retiring = client.db().collection(collectionName('tokens', 1));
          while ((await retiring.countDocuments()) < 20) await new Promise((r) => setTimeout(r, 1));
        });
        await store.dropGeneration('tokens', 1);
        await expect(committing).resolves.toEqual([]);

        expect((await store.generations()).filter((g) => g.projection === 'tokens').map((g) => [g.generation, g.status])).toEqual([[next, 'active']]);
        expect(await store.getToken(hex(300))).not.toBeNull();
        await withMongo(dbUrl, async (client) => {
          const names = (await client.db().listCollections().toArray()).map((c) => c.name);
          expect(names).not.toContain(collectionName('tokens', 1));
          expect(await client.db().collection('checkpoints').findOne({ _id: 'tokens:1' as never })).toBeNull();
        });
      } finally {
        await store.close();
      }
    });
  });

  describe('MongoDB read models: the round trips of one batch of the projector', () => {
    /** A store on its own connection, which lists the reads and writes it sends. */
    const monitored = async (dbUrl: string) => {
      await (await openMongoReadStore(dbUrl)).close();
      const client = new MongoClient(dbUrl, { monitorCommands: true });
      await client.connect();
      const sent: string[] = [];
      client.on('commandStarted', (e) => {
        if (['find', 'insert', 'update', 'delete'].includes(e.commandName)) sent.push(`${e.commandName} ${String(e.command[e.commandName])}`);
      });
      return { store: new MongoReadStore(client, client.db(), 'client'), sent };
    };

    it('reads the generations and checkpoints once for all the read models, and writes the checkpoints of those given no rows at once', async () => {
      const { store, sent } = await monitored(urlWithDb(url, freshDbName()));
      const hash = 'a'.padEnd(64, '0');
      try {
        // As the projector commits a batch: every read model side by side, rows for one of them.
        await Promise.all(
          PROJECTION_NAMES.map((name) =>
            store.commit(name, name === 'tokens' ? [{ position: pos(1), ops: [putToken(hash, 'g')] }] : [], pos(1), null),
          ),
        );
        expect(sent.sort()).toEqual([
          'find checkpoints',
          'find generations',
          `insert ${collectionName('tokens', 1)}`,
          // One for the four with no rows; the tokens' once their row is in.
          'update checkpoints',
          'update checkpoints',
        ]);
        for (const name of PROJECTION_NAMES) expect(await store.getCheckpoint(name)).toEqual(pos(1));
        expect(await store.getToken(hash)).toMatchObject({ grantId: 'g', status: 'active' });
      } finally {
        await store.close();
      }
    });

    it('writes a batch of refreshes and revocations in one round trip of each kind, and keeps the order of the operations on one token', async () => {
      const { store, sent } = await monitored(urlWithDb(url, freshDbName()));
      const h = (label: string) => label.padEnd(64, '0');
      const drop = (label: string): ReadOp => ({ op: 'deleteToken', hash: h(label) });
      try {
        await store.commit('tokens', [{ position: pos(1), ops: ['r1', 'r2', 'r3', 'a1', 'a2'].map((l) => putToken(h(l), 'g')) }], pos(1), null);
        sent.length = 0;
        const refreshes = [2, 3, 4].map((n, i) => ({ position: pos(n), ops: [putToken(h(`n${i}`), 'g'), putToken(h(`m${i}`), 'g')] }));
        // A revocation of a token given in this very batch: after its insert.
        const revocations = [{ position: pos(5), ops: [drop('a1'), drop('a2'), drop('n0')] }];
        await store.commit('tokens', [...refreshes, ...revocations], pos(5), pos(1));
        expect(sent.filter((c) => !c.includes('generations') && !c.includes('checkpoints')).sort()).toEqual([
          // The group ends at n0's second write.
          `delete ${collectionName('tokens', 1)}`,
          `delete ${collectionName('tokens', 1)}`,
          `insert ${collectionName('tokens', 1)}`,
        ].sort());
        // A rotation leaves the rotated token's document as it was (decision 0014).
        expect(await store.getToken(h('r2'))).toMatchObject({ status: 'active' });
        for (const gone of ['a1', 'a2', 'n0']) expect(await store.getToken(h(gone))).toBeNull();
        for (const kept of ['n1', 'n2', 'm0']) expect(await store.getToken(h(kept))).toMatchObject({ status: 'active' });

        // A grant's revocation deletes what it finds by grant: what comes after it stays.
        await store.commit('tokens', [{ position: pos(6), ops: [putToken(h('x'), 'g2'), { op: 'revokeGrant', grantId: 'g2' }, putToken(h('y'), 'g2')] }], pos(6), pos(5));
        expect(await store.getToken(h('x'))).toBeNull();
        expect(await store.getToken(h('y'))).toMatchObject({ grantId: 'g2' });
      } finally {
        await store.close();
      }
    });

    it("reads every read model's checkpoint, for a process waiting on them (CheckpointWaiter), in two reads", async () => {
      const { store, sent } = await monitored(urlWithDb(url, freshDbName()));
      try {
        await Promise.all(PROJECTION_NAMES.map((name) => store.commit(name, [], pos(3), null)));
        sent.length = 0;
        expect(await new CheckpointWaiter(store, PROJECTION_NAMES).reached()).toEqual(pos(3));
        expect(sent.sort()).toEqual(['find checkpoints', 'find generations']);
      } finally {
        await store.close();
      }
    });

    it('has lookups that find the active generations unknown or old read them once', async () => {
      const { store, sent } = await monitored(urlWithDb(url, freshDbName()));
      try {
        // Codes: no kept rows, and so no check of their own, in the way.
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.getCode(String(i).padEnd(64, '0'))));
        expect(sent.filter((c) => c === 'find generations')).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  });

  describe('MongoDB read models: token rows kept in memory', () => {
    it("serves a token again while nothing changed, never as it was once another process's projector changed it, and checks once per turn", async () => {
      const dbUrl = urlWithDb(url, freshDbName());
      const other = await openMongoReadStore(dbUrl);
      await (await openMongoReadStore(dbUrl)).close();
      const client = new MongoClient(dbUrl, { monitorCommands: true });
      await client.connect();
      const sent: string[] = [];
      client.on('commandStarted', (e) => {
        if (e.commandName === 'find') sent.push(String(e.command.find));
      });
      const server = new MongoReadStore(client, client.db(), 'client');
      const h = (label: string) => label.padEnd(64, '0');
      const tokenReads = () => sent.filter((c) => c === collectionName('tokens', 1)).length;
      try {
        await other.commit('tokens', [{ position: pos(1), ops: [putToken(h('r'), 'g'), putToken(h('a'), 'g')] }], pos(1), null);
        expect((await server.getToken(h('r')))?.status).toBe('active');
        // Many lookups in one turn: one check (pointers and checkpoints), and the kept row.
        sent.length = 0;
        const together = await Promise.all(Array.from({ length: 10 }, () => server.getToken(h('r'))));
        expect(together.map((t) => t?.status)).toEqual(Array(10).fill('active'));
        expect(sent.sort()).toEqual(['checkpoints', 'generations']);

        await other.commit('tokens', [{ position: pos(2), ops: [{ op: 'deleteToken', hash: h('r') }] }], pos(2), pos(1));
        expect(await server.getToken(h('r'))).toBeNull();
        expect(await server.getToken(h('a'))).not.toBeNull();
        await other.commit('tokens', [{ position: pos(3), ops: [{ op: 'revokeGrant', grantId: 'g' }] }], pos(3), pos(2));
        expect(await server.getToken(h('a'))).toBeNull();
        // An unknown token is asked for every time: guesses are not kept.
        sent.length = 0;
        await server.getToken(h('nope'));
        await server.getToken(h('nope'));
        expect(tokenReads()).toBe(2);
      } finally {
        await server.close();
        await other.close();
      }
    });
  });

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
