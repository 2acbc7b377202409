import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { comparePositions, type Position } from '../../src/store/event-store.js';
import type {
  ClientView,
  CodeView,
  ReadOp,
  ReadStore,
  ScopeView,
  TokenView,
  UserView,
} from '../../src/store/read-store.js';
import { databaseFromUrl } from '../../src/store/mongo/database-name.js';
import { openMongoReadStore } from '../../src/store/mongo/mongo-read-store.js';
import { positionKey } from '../../src/store/mongo/position-key.js';
import { readStoreContract } from '../contract/read-store.contract.js';
import { freshDbName, MONGO_SKIP_REASON, mongoUrl, urlWithDb, withMongo } from '../support/mongo.js';

const pos = (commit: bigint | number, prepare: bigint | number = commit): Position => ({
  commit: BigInt(commit),
  prepare: BigInt(prepare),
});

const hash = (c: string): string => c.repeat(64).slice(0, 64);

const client = (over: Partial<ClientView> = {}): ClientView => ({
  clientId: 'app',
  name: 'The App',
  secretHash: 'scrypt$secret-1',
  redirectUris: ['https://app.example/cb', 'https://app.example/cb2'],
  grantTypes: ['authorization_code', 'refresh_token'],
  allowedScopes: ['read', 'write'],
  resourceServer: false,
  ...over,
});

const user = (over: Partial<UserView> = {}): UserView => ({
  userId: 'u-1',
  username: 'Alice',
  passwordHash: 'scrypt$pw-1',
  ...over,
});

const scope = (name: string, over: Partial<ScopeView> = {}): ScopeView => ({
  name,
  description: `the ${name} scope`,
  isDefault: false,
  ...over,
});

const token = (h: string, over: Partial<TokenView> = {}): TokenView => ({
  hash: h,
  kind: 'access',
  status: 'active',
  grantId: 'g-1',
  clientId: 'app',
  userId: 'u-1',
  username: 'Alice',
  scope: 'read write',
  issuedAt: 1_764_000_000,
  expiresAt: 1_764_003_600,
  ...over,
});

const code = (h: string, over: Partial<CodeView> = {}): CodeView => ({
  hash: h,
  grantId: 'g-1',
  clientId: 'app',
  userId: 'u-1',
  scope: 'read',
  expiresAt: 1_764_000_600,
  redeemed: false,
  ...over,
});

describe('positionKey', () => {
  it('sorts like the positions it encodes', () => {
    const ps = [pos(10), pos(9), pos(9, 10), pos(0), pos(2n ** 64n - 1n), pos(123_456_789_012n, 5), pos(100, 99)];
    const byKey = [...ps].sort((a, b) => (positionKey(a) < positionKey(b) ? -1 : positionKey(a) > positionKey(b) ? 1 : 0));
    expect(byKey).toEqual([...ps].sort(comparePositions));
  });

  it('refuses a negative or oversized part', () => {
    expect(() => positionKey(pos(-1))).toThrow(RangeError);
    expect(() => positionKey(pos(2n ** 64n))).toThrow(RangeError);
  });
});

describe('databaseFromUrl', () => {
  it('reads the path of single- and multi-host connection strings', () => {
    expect(databaseFromUrl('mongodb://127.0.0.1:27018/')).toBeNull();
    expect(databaseFromUrl('mongodb://127.0.0.1:27018')).toBeNull();
    expect(databaseFromUrl('mongodb://u:p@h1:1,h2:2/authdb?replicaSet=rs')).toBe('authdb');
    expect(databaseFromUrl('mongodb+srv://cluster.example/my%2Ddb')).toBe('my-db');
    expect(databaseFromUrl('mongodb://h/?w=majority')).toBeNull();
  });
});

const url = mongoUrl();

describe.skipIf(url === null)(`MongoReadStore${url === null ? ` (${MONGO_SKIP_REASON})` : ''}`, () => {
  const base = url ?? '';
  let dbName: string;
  let store: ReadStore;

  beforeEach(async () => {
    dbName = freshDbName();
    store = await openMongoReadStore(base, { dbName });
  });

  afterEach(async () => {
    await store.close();
    await withMongo(base, (c) => c.db(dbName).dropDatabase());
  });

  /** Everything the port can read back for the ids these tests use. */
  async function snapshot(): Promise<unknown> {
    const hashes = ['a', 'b', 'c', 'd', 'e'].map(hash);
    return {
      client: await store.getClient('app'),
      other: await store.getClient('other'),
      alice: await store.getUserByUsername('alice'),
      bob: await store.getUserByUsername('bob'),
      scopes: await store.listScopes(),
      tokens: await Promise.all(hashes.map((h) => store.getToken(h))),
      codes: await Promise.all(hashes.map((h) => store.getCode(h))),
      checkpoint: await store.getCheckpoint('p'),
    };
  }

  it('answers null (or nothing) for what it has never seen', async () => {
    expect(await store.getClient('nobody')).toBeNull();
    expect(await store.getUserByUsername('nobody')).toBeNull();
    expect(await store.listScopes()).toEqual([]);
    expect(await store.getToken(hash('f'))).toBeNull();
    expect(await store.getCode(hash('f'))).toBeNull();
    expect(await store.getCheckpoint('tokens')).toBeNull();
  });

  it('creates one collection per read model, with the indexes the queries need', async () => {
    await store.commit('p', [{ op: 'putScope', scope: scope('read') }], pos(1));
    await withMongo(base, async (c) => {
      const db = c.db(dbName);
      const names = (await db.listCollections().toArray()).map((x) => x.name).sort();
      expect(names).toEqual(['checkpoints', 'clients', 'codes', 'scopes', 'tokens', 'users']);
      const users = await db.collection('users').indexes();
      expect(users.find((i) => i.name === 'usernameKey_unique')).toMatchObject({ key: { usernameKey: 1 }, unique: true });
      const tokens = await db.collection('tokens').indexes();
      expect(tokens.map((i) => i.key)).toContainEqual({ grantId: 1 });
    });
  });

  it('opens the same fresh database from two connections at once', async () => {
    const shared = freshDbName();
    const both = await Promise.all([
      openMongoReadStore(base, { dbName: shared }),
      openMongoReadStore(base, { dbName: shared }),
    ]);
    try {
      await both[0].commit('p', [{ op: 'putUser', user: user() }], pos(1));
      expect(await both[1].getUserByUsername('ALICE')).toEqual(user());
    } finally {
      await Promise.all(both.map((s) => s.close()));
      await withMongo(base, (c) => c.db(shared).dropDatabase());
    }
  });

  it('takes the database from the URL path, else "oauth2" (opts.dbName wins)', async () => {
    const named = freshDbName();
    const other = await openMongoReadStore(urlWithDb(base, named));
    try {
      await other.commit('p', [{ op: 'putScope', scope: scope('read') }], pos(1));
      expect(await store.listScopes()).toEqual([]);
      await withMongo(base, async (c) => {
        expect(await c.db(named).collection('scopes').countDocuments()).toBe(1);
      });
    } finally {
      await other.close();
      await withMongo(base, (c) => c.db(named).dropDatabase());
    }
  });

  it('puts a client and sets its secret', async () => {
    await store.commit('p', [{ op: 'putClient', client: client() }], pos(1));
    expect(await store.getClient('app')).toEqual(client());

    const pub = client({ clientId: 'other', secretHash: null, allowedScopes: null, resourceServer: true, redirectUris: [] });
    await store.commit('p', [{ op: 'putClient', client: pub }], pos(2));
    expect(await store.getClient('other')).toEqual(pub);

    await store.commit('p', [{ op: 'setClientSecret', clientId: 'app', secretHash: 'scrypt$secret-2' }], pos(3));
    expect(await store.getClient('app')).toEqual(client({ secretHash: 'scrypt$secret-2' }));

    await store.commit('p', [{ op: 'setClientSecret', clientId: 'ghost', secretHash: 'x' }], pos(4));
    expect(await store.getClient('ghost')).toBeNull();
  });

  it('finds a user by username whatever its case, and sets the password', async () => {
    await store.commit('p', [{ op: 'putUser', user: user() }], pos(1));
    expect(await store.getUserByUsername('alice')).toEqual(user());
    expect(await store.getUserByUsername('ALICE')).toEqual(user());
    expect(await store.getUserByUsername('Alice')).toEqual(user());
    expect(await store.getUserByUsername('alic')).toBeNull();

    await store.commit('p', [{ op: 'setUserPassword', userId: 'u-1', passwordHash: 'scrypt$pw-2' }], pos(2));
    expect(await store.getUserByUsername('aLiCe')).toEqual(user({ passwordHash: 'scrypt$pw-2' }));

    await store.commit('p', [{ op: 'setUserPassword', userId: 'ghost', passwordHash: 'x' }], pos(3));
    expect(await store.getUserByUsername('ghost')).toBeNull();
  });

  it('refuses a second user whose name differs only in case (names are claimed once upstream)', async () => {
    await store.commit('p', [{ op: 'putUser', user: user() }], pos(1));
    await expect(
      store.commit('p', [{ op: 'putUser', user: user({ userId: 'u-2', username: 'ALICE' }) }], pos(2)),
    ).rejects.toThrow(/duplicate key/i);
    expect(await store.getUserByUsername('alice')).toEqual(user());
    expect(await store.getCheckpoint('p')).toEqual(pos(1));
  });

  it('lists scopes sorted by name, and a later put replaces a scope', async () => {
    await store.commit(
      'p',
      [
        { op: 'putScope', scope: scope('write') },
        { op: 'putScope', scope: scope('admin') },
        { op: 'putScope', scope: scope('read', { isDefault: true }) },
      ],
      pos(1),
    );
    expect((await store.listScopes()).map((s) => s.name)).toEqual(['admin', 'read', 'write']);
    await store.commit('p', [{ op: 'putScope', scope: scope('admin', { description: 'all of it' }) }], pos(2));
    expect(await store.listScopes()).toEqual([
      scope('admin', { description: 'all of it' }),
      scope('read', { isDefault: true }),
      scope('write'),
    ]);
  });

  it('puts a code and marks it redeemed; a replayed put does not unredeem it', async () => {
    const c = code(hash('a'));
    await store.commit('p', [{ op: 'putCode', code: c }], pos(1));
    expect(await store.getCode(hash('a'))).toEqual(c);
    await store.commit('p', [{ op: 'markCodeRedeemed', hash: hash('a') }], pos(2));
    expect(await store.getCode(hash('a'))).toEqual({ ...c, redeemed: true });
    await store.commit('p', [{ op: 'putCode', code: c }], pos(3));
    expect(await store.getCode(hash('a'))).toEqual({ ...c, redeemed: true });
    await store.commit('p', [{ op: 'markCodeRedeemed', hash: hash('b') }], pos(4));
    expect(await store.getCode(hash('b'))).toBeNull();
  });

  it('puts tokens and changes their status; a revoked token stays revoked', async () => {
    const access = token(hash('a'));
    const refresh = token(hash('b'), { kind: 'refresh', expiresAt: 1_766_592_000 });
    const anon = token(hash('c'), { userId: null, username: null, grantId: 'g-2' });
    await store.commit(
      'p',
      [
        { op: 'putToken', token: access },
        { op: 'putToken', token: refresh },
        { op: 'putToken', token: anon },
      ],
      pos(1),
    );
    expect(await store.getToken(hash('a'))).toEqual(access);
    expect(await store.getToken(hash('b'))).toEqual(refresh);
    expect(await store.getToken(hash('c'))).toEqual(anon);

    await store.commit('p', [{ op: 'setTokenStatus', hash: hash('b'), status: 'rotated' }], pos(2));
    expect((await store.getToken(hash('b')))?.status).toBe('rotated');
    await store.commit('p', [{ op: 'setTokenStatus', hash: hash('a'), status: 'revoked' }], pos(3));
    expect((await store.getToken(hash('a')))?.status).toBe('revoked');
    await store.commit('p', [{ op: 'setTokenStatus', hash: hash('a'), status: 'active' }], pos(4));
    expect((await store.getToken(hash('a')))?.status).toBe('revoked');
    await store.commit('p', [{ op: 'putToken', token: access }], pos(5));
    expect((await store.getToken(hash('a')))?.status).toBe('revoked');

    await store.commit('p', [{ op: 'setTokenStatus', hash: hash('d'), status: 'revoked' }], pos(6));
    expect(await store.getToken(hash('d'))).toBeNull();
  });

  it('revokes every token of a grant, and only those', async () => {
    const ops: ReadOp[] = [
      { op: 'putToken', token: token(hash('a')) },
      { op: 'putToken', token: token(hash('b'), { kind: 'refresh' }) },
      { op: 'putToken', token: token(hash('c'), { kind: 'refresh', status: 'active' }) },
      { op: 'putToken', token: token(hash('d'), { grantId: 'g-2' }) },
    ];
    await store.commit('p', ops, pos(1));
    await store.commit('p', [{ op: 'setTokenStatus', hash: hash('c'), status: 'rotated' }], pos(2));
    await store.commit('p', [{ op: 'revokeGrant', grantId: 'g-1' }], pos(3));
    for (const h of ['a', 'b', 'c']) expect((await store.getToken(hash(h)))?.status).toBe('revoked');
    expect((await store.getToken(hash('d')))?.status).toBe('active');
    await store.commit('p', [{ op: 'revokeGrant', grantId: 'g-none' }], pos(4));
    expect((await store.getToken(hash('d')))?.status).toBe('active');
  });

  it('keeps one checkpoint per projection, exactly, and moves it with every commit', async () => {
    const big = pos(2n ** 63n + 5n, 2n ** 63n + 3n);
    await store.commit('tokens', [], pos(7, 6));
    await store.commit('clients', [], big);
    expect(await store.getCheckpoint('tokens')).toEqual(pos(7, 6));
    expect(await store.getCheckpoint('clients')).toEqual(big);
    await store.commit('tokens', [{ op: 'putToken', token: token(hash('a')) }], pos(9));
    expect(await store.getCheckpoint('tokens')).toEqual(pos(9));
    expect(await store.getCheckpoint('users')).toBeNull();
  });

  it('never moves a checkpoint backwards', async () => {
    await store.commit('p', [], pos(10));
    await store.commit('p', [], pos(9));
    expect(await store.getCheckpoint('p')).toEqual(pos(10));
  });

  const batch1: ReadOp[] = [
    { op: 'putClient', client: client() },
    { op: 'putUser', user: user() },
    { op: 'putScope', scope: scope('read') },
    { op: 'putScope', scope: scope('write') },
    { op: 'putCode', code: code(hash('a')) },
    { op: 'putToken', token: token(hash('b')) },
    { op: 'putToken', token: token(hash('c'), { kind: 'refresh' }) },
    { op: 'putToken', token: token(hash('e'), { grantId: 'g-2' }) },
    { op: 'setClientSecret', clientId: 'app', secretHash: 'scrypt$secret-1b' },
  ];
  const batch2: ReadOp[] = [
    { op: 'markCodeRedeemed', hash: hash('a') },
    { op: 'setTokenStatus', hash: hash('c'), status: 'rotated' },
    { op: 'putToken', token: token(hash('d'), { grantId: 'g-2', issuedAt: 1_764_001_000 }) },
    { op: 'setUserPassword', userId: 'u-1', passwordHash: 'scrypt$pw-2' },
    { op: 'putClient', client: client({ name: 'Renamed', redirectUris: ['https://new.example/cb'] }) },
    { op: 'putScope', scope: scope('read', { description: 'changed', isDefault: true }) },
  ];
  const batch3: ReadOp[] = [
    { op: 'revokeGrant', grantId: 'g-2' },
    { op: 'setClientSecret', clientId: 'app', secretHash: 'scrypt$secret-3' },
  ];

  it('changes nothing when the same batch is committed twice', async () => {
    await store.commit('p', batch1, pos(10));
    const once = await snapshot();
    await store.commit('p', batch1, pos(10));
    expect(await snapshot()).toEqual(once);

    await store.commit('p', batch2, pos(20));
    await store.commit('p', batch3, pos(30));
    const later = await snapshot();
    await store.commit('p', batch2, pos(20));
    await store.commit('p', batch3, pos(30));
    await store.commit('p', batch3, pos(30));
    expect(await snapshot()).toEqual(later);
  });

  it('does not regress newer state when an older batch arrives after a newer one', async () => {
    await store.commit('p', batch1, pos(10));
    await store.commit('p', batch2, pos(20));
    await store.commit('p', batch3, pos(30));
    const newest = await snapshot();
    expect(newest).toMatchObject({
      client: client({ name: 'Renamed', redirectUris: ['https://new.example/cb'], secretHash: 'scrypt$secret-3' }),
      alice: user({ passwordHash: 'scrypt$pw-2' }),
      scopes: [scope('read', { description: 'changed', isDefault: true }), scope('write')],
      codes: [null, null, null, null, null].map((_, i) => (i === 0 ? code(hash('a'), { redeemed: true }) : null)),
      checkpoint: pos(30),
    });

    await store.commit('p', batch1, pos(10));
    await store.commit('p', batch2, pos(20));
    expect(await snapshot()).toEqual(newest);

    // A batch between two others applies where nothing newer wrote, and nowhere else.
    await store.commit('p', [{ op: 'setClientSecret', clientId: 'app', secretHash: 'old' }], pos(25));
    await store.commit('p', [{ op: 'putScope', scope: scope('read', { description: 'older' }) }], pos(15));
    expect(await snapshot()).toEqual(newest);
  });

  it('revokes a grant only where no newer batch wrote', async () => {
    await store.commit('p', [{ op: 'putToken', token: token(hash('a'), { grantId: 'g-3' }) }], pos(30));
    await store.commit('p', [{ op: 'putToken', token: token(hash('b'), { grantId: 'g-3' }) }], pos(40));
    await store.commit('p', [{ op: 'revokeGrant', grantId: 'g-3' }], pos(35));
    expect((await store.getToken(hash('a')))?.status).toBe('revoked');
    expect((await store.getToken(hash('b')))?.status).toBe('active');
  });

  it('applies the operations of one batch in order', async () => {
    await store.commit(
      'p',
      [
        { op: 'putClient', client: client({ name: 'first' }) },
        { op: 'putClient', client: client({ name: 'second' }) },
        { op: 'setClientSecret', clientId: 'app', secretHash: 'last' },
        { op: 'putToken', token: token(hash('a'), { kind: 'refresh' }) },
        { op: 'setTokenStatus', hash: hash('a'), status: 'rotated' },
      ],
      pos(1),
    );
    expect(await store.getClient('app')).toEqual(client({ name: 'second', secretHash: 'last' }));
    expect((await store.getToken(hash('a')))?.status).toBe('rotated');
  });

  it('reads its own writes from a second connection (another process, say)', async () => {
    const reader = await openMongoReadStore(base, { dbName });
    try {
      await store.commit('p', [{ op: 'putToken', token: token(hash('a')) }], pos(1));
      expect(await reader.getToken(hash('a'))).toEqual(token(hash('a')));
      await store.commit('p', [{ op: 'revokeGrant', grantId: 'g-1' }], pos(2));
      expect((await reader.getToken(hash('a')))?.status).toBe('revoked');
    } finally {
      await reader.close();
    }
  });
});

// The shared read-store contract, on one database for the whole suite (as on a real server).
describe.skipIf(url === null)(`MongoDB read store${url === null ? ` (${MONGO_SKIP_REASON})` : ''}`, () => {
  const dbName = freshDbName('oauth2_contract');
  afterAll(async () => {
    if (url !== null) await withMongo(url, (c) => c.db(dbName).dropDatabase());
  });
  readStoreContract('mongodb', () => openMongoReadStore(url ?? '', { dbName }));
});
