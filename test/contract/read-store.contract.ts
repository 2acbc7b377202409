import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Position } from '../../src/store/event-store.js';
import type {
  ClientView,
  PositionedOps,
  ReadOp,
  ReadStore,
  TokenView,
} from '../../src/store/read-store.js';

const pos = (n: bigint | number, prepare: bigint | number = n): Position => ({ commit: BigInt(n), prepare: BigInt(prepare) });
const hash = (label: string) => createHash('sha256').update(label).digest('hex');
const at = (n: number, ...ops: ReadOp[]): PositionedOps => ({ position: pos(n), ops });

const client = (over: Partial<ClientView> = {}): ClientView => ({
  clientId: 'app',
  name: 'The App',
  secretHash: 'scrypt$secret-1',
  redirectUris: ['https://app.example/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  allowedScopes: ['read', 'write'],
  resourceServer: false,
  ...over,
});

const token = (label: string, over: Partial<TokenView> = {}): TokenView => ({
  hash: hash(label),
  kind: 'access',
  status: 'active',
  grantId: 'grant-1',
  clientId: 'app',
  userId: 'user-1',
  username: 'alice',
  scope: 'read write',
  issuedAt: 1_764_000_000,
  expiresAt: 1_764_003_600,
  grantRevision: null,
  grantedScope: null,
  ...over,
});

/**
 * The read-store contract: every adapter of the port must pass this same suite, through the
 * port's public methods only. `open` gives a fresh, empty store each time.
 */
export function readStoreContract(name: string, open: () => Promise<ReadStore>): void {
  describe(`ReadStore contract: ${name}`, () => {
    let store: ReadStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts with one active, empty generation per projection', async () => {
      const gens = await store.generations();
      expect(gens.map((g) => [g.projection, g.generation, g.status, g.checkpoint])).toEqual(
        ['clients', 'codes', 'scopes', 'tokens', 'users'].map((p) => [p, 1, 'active', null]).sort(),
      );
      expect(await store.getClient('app')).toBeNull();
      expect(await store.getToken(hash('x'))).toBeNull();
      expect(await store.getCode(hash('x'))).toBeNull();
      expect(await store.getUserByUsername('alice')).toBeNull();
      expect(await store.listScopes()).toEqual([]);
    });

    it('keeps clients, users and scopes, and moves checkpoints exactly (even past 2^53)', async () => {
      await store.commit('clients', [at(1, { op: 'putClient', client: client() })], pos(1), null);
      await store.commit('clients', [at(2, { op: 'setClientSecret', clientId: 'app', secretHash: 'scrypt$2' })], pos(2), pos(1));
      expect(await store.getClient('app')).toEqual(client({ secretHash: 'scrypt$2' }));
      await store.commit('users', [at(3, { op: 'putUser', user: { userId: 'u1', username: 'Alice', passwordHash: 'h1' } })], pos(3), null);
      await store.commit('users', [at(4, { op: 'setUserPassword', userId: 'u1', passwordHash: 'h2' })], pos(4), pos(3));
      expect(await store.getUserByUsername('ALICE')).toEqual({ userId: 'u1', username: 'Alice', passwordHash: 'h2' });
      const scopes: ReadOp[] = [
        { op: 'putScope', scope: { name: 'write', description: 'Write', isDefault: false } },
        { op: 'putScope', scope: { name: 'read', description: 'Read', isDefault: true } },
      ];
      const big = pos(2n ** 53n + 1n, 2n ** 64n - 1n);
      await store.commit('scopes', [{ position: big, ops: scopes }], big, null);
      expect((await store.listScopes()).map((s) => s.name)).toEqual(['read', 'write']);
      expect(await store.getCheckpoint('scopes')).toEqual(big);
    });

    it('keeps tokens and codes; revocation and redemption take effect', async () => {
      const refresh = token('r1', { kind: 'refresh', grantRevision: 3, grantedScope: 'read write admin' });
      await store.commit(
        'tokens',
        [at(1, { op: 'putToken', token: token('a1') }, { op: 'putToken', token: refresh }), at(2, { op: 'putToken', token: token('other', { grantId: 'grant-2' }) })],
        pos(2),
        null,
      );
      expect(await store.getToken(hash('a1'))).toEqual(token('a1'));
      expect(await store.getToken(refresh.hash)).toEqual(refresh);
      await store.commit('tokens', [at(4, { op: 'revokeGrant', grantId: 'grant-1' })], pos(4), pos(2));
      expect(await store.getToken(hash('a1'))).toBeNull();
      expect(await store.getToken(refresh.hash)).toBeNull();
      expect(await store.getToken(hash('other'))).not.toBeNull();
      await store.commit('tokens', [at(5, { op: 'deleteToken', hash: hash('other') })], pos(5), pos(4));
      expect(await store.getToken(hash('other'))).toBeNull();

      const issued = { username: 'alice', redirectUri: 'https://app.example/cb', redirectUriProvided: false, codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' };
      const code = { hash: hash('c1'), grantId: 'g', clientId: 'app', userId: 'u1', scope: 'read', expiresAt: 1_764_000_600, issued };
      await store.commit('codes', [at(6, { op: 'putCode', code })], pos(6), null);
      expect(await store.getCode(code.hash)).toEqual(code);
      await store.commit('codes', [at(7, { op: 'deleteCode', hash: code.hash })], pos(7), pos(6));
      expect(await store.getCode(code.hash)).toBeNull();
    });

    it('applies an event at most once: a replayed batch changes nothing', async () => {
      const batch = [at(1, { op: 'putToken', token: token('a1') }), at(2, { op: 'deleteToken', hash: hash('a1') })];
      await store.commit('tokens', batch, pos(2), null);
      await store.commit('tokens', batch, pos(2), null);
      await store.commit('tokens', [batch[0]!], pos(1), null);
      expect(await store.getToken(hash('a1'))).toBeNull();
      expect(await store.getCheckpoint('tokens')).toEqual(pos(2));
    });

    it('prunes expired tokens and codes only', async () => {
      await store.commit('tokens', [at(1, { op: 'putToken', token: token('old', { expiresAt: 100 }) }, { op: 'putToken', token: token('new', { expiresAt: 300 }) })], pos(1), null);
      const code = { hash: hash('c'), grantId: 'g', clientId: 'app', userId: 'u1', scope: 'read', expiresAt: 100, issued: null };
      await store.commit('codes', [at(2, { op: 'putCode', code })], pos(2), null);
      await store.commit('clients', [at(3, { op: 'putClient', client: client() })], pos(3), null);
      expect(await store.pruneExpired(200)).toBe(2);
      expect(await store.getToken(hash('old'))).toBeNull();
      expect(await store.getToken(hash('new'))).not.toBeNull();
      expect(await store.getCode(code.hash)).toBeNull();
      expect(await store.getClient('app')).not.toBeNull();
    });

    it('builds a new generation beside the live one, then switches readers to it', async () => {
      await store.commit('tokens', [at(1, { op: 'putToken', token: token('a1') })], pos(1), null);
      const next = await store.createGeneration('tokens');
      expect(next).toBe(2);
      await store.commitTo('tokens', next, [at(1, { op: 'putToken', token: token('a1') })], pos(1));
      // Readers still see generation 1 while 2 is being built.
      await store.commit('tokens', [at(2, { op: 'putToken', token: token('a2') })], pos(2), pos(1));
      expect(await store.getToken(hash('a2'))).not.toBeNull();
      await store.activate('tokens', next, async (from) => {
        expect(from).toEqual(pos(1));
        return { entries: [at(2, { op: 'putToken', token: token('a2') })], checkpoint: pos(2) };
      });
      const gens = (await store.generations()).filter((g) => g.projection === 'tokens');
      expect(gens.map((g) => [g.generation, g.status, g.checkpoint])).toEqual([
        [1, 'retiring', pos(2)],
        [2, 'active', pos(2)],
      ]);
      expect(await store.dump('tokens', 2)).toEqual(await store.dump('tokens', 1));
      // Live projection keeps both up to date until the old one is dropped.
      await store.commit('tokens', [at(3, { op: 'putToken', token: token('a3') })], pos(3), pos(2));
      expect(await store.dump('tokens', 2)).toEqual(await store.dump('tokens', 1));
      await store.dropGeneration('tokens', 1);
      expect((await store.generations()).filter((g) => g.projection === 'tokens').map((g) => g.generation)).toEqual([2]);
      await new Promise((r) => setTimeout(r, 600));
      expect(await store.getToken(hash('a3'))).not.toBeNull();
      await expect(store.dropGeneration('tokens', 2)).rejects.toThrow(/active/);
    });

    it('reports a live generation that is behind the batch instead of skipping its gap', async () => {
      await store.commit('clients', [at(4, { op: 'putClient', client: client() })], pos(4), null);
      const next = await store.createGeneration('clients');
      await store.activate('clients', next, async () => ({ entries: [], checkpoint: pos(1) }));
      const behind = await store.commit('clients', [at(5, { op: 'putClient', client: client() })], pos(5), pos(4));
      expect(behind.map((g) => [g.generation, g.checkpoint])).toEqual([[next, pos(1)]]);
    });

    it('starts a rebuild clean after an interrupted one, leaving the live models alone', async () => {
      await store.commit('clients', [at(1, { op: 'putClient', client: client() })], pos(1), null);
      const abandoned = await store.createGeneration('clients');
      await store.commitTo('clients', abandoned, [at(1, { op: 'putClient', client: client({ name: 'half' }) })], pos(1));
      const fresh = await store.createGeneration('clients');
      const gens = (await store.generations()).filter((g) => g.projection === 'clients');
      expect(gens.map((g) => [g.generation, g.status, g.checkpoint])).toEqual([
        [1, 'active', pos(1)],
        [fresh, 'building', null],
      ]);
      expect(await store.dump('clients', fresh)).toEqual([]);
      expect((await store.getClient('app'))?.name).toBe('The App');
    });
  });
}
