import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Position } from '../../src/store/event-store.js';
import type { ClientView, CodeView, ReadOp, ReadStore, ScopeView, TokenView, UserView } from '../../src/store/read-store.js';

const pos = (commit: bigint | number, prepare: bigint | number = commit): Position => ({
  commit: BigInt(commit),
  prepare: BigInt(prepare),
});

/**
 * The read-store contract: every adapter of the port must pass this same suite. It goes through
 * the port's public methods only, and every test uses ids of its own, so the suite may run
 * against one shared database.
 */
export function readStoreContract(name: string, open: () => Promise<ReadStore>): void {
  describe(`ReadStore contract: ${name}`, () => {
    let store: ReadStore;
    let run: string;

    beforeEach(async () => {
      store = await open();
      run = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    });

    afterEach(async () => {
      await store.close();
    });

    /** An id of this test only. */
    const id = (label: string) => `${run}-${label}`;
    /** A SHA-256 hex hash, like the events carry, unique to this test. */
    const hash = (label: string) => createHash('sha256').update(id(label)).digest('hex');

    const client = (over: Partial<ClientView> = {}): ClientView => ({
      clientId: id('app'),
      name: 'The App',
      secretHash: 'scrypt$secret-1',
      redirectUris: ['https://app.example/cb', 'https://app.example/cb2'],
      grantTypes: ['authorization_code', 'refresh_token'],
      allowedScopes: ['read', 'write'],
      resourceServer: false,
      ...over,
    });

    const user = (over: Partial<UserView> = {}): UserView => ({
      userId: id('user'),
      username: `Alice-${run}`,
      passwordHash: 'scrypt$pw-1',
      ...over,
    });

    const scope = (label: string, over: Partial<ScopeView> = {}): ScopeView => ({
      name: `${run}:${label}`,
      description: `the ${label} scope`,
      isDefault: false,
      ...over,
    });

    const token = (label: string, over: Partial<TokenView> = {}): TokenView => ({
      hash: hash(label),
      kind: 'access',
      status: 'active',
      grantId: id('grant-1'),
      clientId: id('app'),
      userId: id('user'),
      username: 'alice',
      scope: 'read write',
      issuedAt: 1_764_000_000,
      expiresAt: 1_764_003_600,
      ...over,
    });

    const code = (label: string, over: Partial<CodeView> = {}): CodeView => ({
      hash: hash(label),
      grantId: id('grant-1'),
      clientId: id('app'),
      userId: id('user'),
      scope: 'read',
      expiresAt: 1_764_000_600,
      redeemed: false,
      ...over,
    });

    /** Commits one batch for this test's own projection. */
    let next = 0;
    const commit = async (...ops: ReadOp[]) => {
      next += 1;
      await store.commit(id('p'), ops, pos(next));
    };
    const statusOf = async (label: string) => (await store.getToken(hash(label)))?.status;

    it('answers null for what it has never seen', async () => {
      expect(await store.getClient(id('nobody'))).toBeNull();
      expect(await store.getUserByUsername(`nobody-${run}`)).toBeNull();
      expect(await store.getToken(hash('nothing'))).toBeNull();
      expect(await store.getCode(hash('nothing'))).toBeNull();
      expect(await store.getCheckpoint(id('never-committed'))).toBeNull();
      expect((await store.listScopes()).filter((s) => s.name.startsWith(run))).toEqual([]);
    });

    describe('clients', () => {
      it('puts a client and reads it back exactly', async () => {
        await commit({ op: 'putClient', client: client() });
        expect(await store.getClient(id('app'))).toEqual(client());
      });

      it('keeps the nulls and empties of a public client', async () => {
        const pub = client({ clientId: id('public'), secretHash: null, allowedScopes: null, redirectUris: [], resourceServer: true });
        await commit({ op: 'putClient', client: pub });
        expect(await store.getClient(id('public'))).toEqual(pub);
        expect(await store.getClient(id('app'))).toBeNull();
      });

      it('replaces a client on a later put, and sets its secret', async () => {
        await commit({ op: 'putClient', client: client() });
        await commit({ op: 'putClient', client: client({ name: 'Renamed', allowedScopes: ['read'] }) });
        expect(await store.getClient(id('app'))).toEqual(client({ name: 'Renamed', allowedScopes: ['read'] }));
        await commit({ op: 'setClientSecret', clientId: id('app'), secretHash: 'scrypt$secret-2' });
        expect(await store.getClient(id('app'))).toEqual(
          client({ name: 'Renamed', allowedScopes: ['read'], secretHash: 'scrypt$secret-2' }),
        );
      });

      it('creates nothing when setting the secret of an unknown client', async () => {
        await commit({ op: 'setClientSecret', clientId: id('ghost'), secretHash: 'scrypt$x' });
        expect(await store.getClient(id('ghost'))).toBeNull();
      });
    });

    describe('users', () => {
      it('finds a user by username whatever its case, keeping the name as registered', async () => {
        await commit({ op: 'putUser', user: user() });
        for (const asked of [`Alice-${run}`, `alice-${run}`, `ALICE-${run.toUpperCase()}`, `aLiCe-${run}`]) {
          expect(await store.getUserByUsername(asked)).toEqual(user());
        }
        expect(await store.getUserByUsername(`Alic-${run}`)).toBeNull();
        expect(await store.getUserByUsername(`Alice-${run}x`)).toBeNull();
      });

      it('sets a user’s password', async () => {
        await commit({ op: 'putUser', user: user() });
        await commit({ op: 'setUserPassword', userId: id('user'), passwordHash: 'scrypt$pw-2' });
        expect(await store.getUserByUsername(`alice-${run}`)).toEqual(user({ passwordHash: 'scrypt$pw-2' }));
      });

      it('creates nothing when setting the password of an unknown user', async () => {
        await commit({ op: 'setUserPassword', userId: id('ghost'), passwordHash: 'scrypt$x' });
        expect(await store.getUserByUsername(`ghost-${run}`)).toBeNull();
      });
    });

    describe('scopes', () => {
      const ours = async () => (await store.listScopes()).filter((s) => s.name.startsWith(`${run}:`));

      it('lists scopes sorted by name, whatever the order they were put in', async () => {
        await commit(
          { op: 'putScope', scope: scope('write') },
          { op: 'putScope', scope: scope('admin') },
          { op: 'putScope', scope: scope('read', { isDefault: true }) },
        );
        await commit({ op: 'putScope', scope: scope('profile', { isDefault: true }) });
        expect(await ours()).toEqual([
          scope('admin'),
          scope('profile', { isDefault: true }),
          scope('read', { isDefault: true }),
          scope('write'),
        ]);
      });

      it('replaces a scope on a later put, keeping one entry', async () => {
        await commit({ op: 'putScope', scope: scope('read', { isDefault: true }) });
        await commit({ op: 'putScope', scope: scope('read', { description: 'changed', isDefault: false }) });
        expect(await ours()).toEqual([scope('read', { description: 'changed', isDefault: false })]);
      });
    });

    describe('codes', () => {
      it('puts a code and marks it redeemed', async () => {
        await commit({ op: 'putCode', code: code('a') });
        expect(await store.getCode(hash('a'))).toEqual(code('a'));
        await commit({ op: 'markCodeRedeemed', hash: hash('a') });
        expect(await store.getCode(hash('a'))).toEqual(code('a', { redeemed: true }));
      });

      it('keeps a code redeemed when its put is replayed', async () => {
        await commit({ op: 'putCode', code: code('a') }, { op: 'markCodeRedeemed', hash: hash('a') });
        await commit({ op: 'putCode', code: code('a') });
        expect((await store.getCode(hash('a')))?.redeemed).toBe(true);
      });

      it('creates nothing when marking an unknown code redeemed', async () => {
        await commit({ op: 'markCodeRedeemed', hash: hash('ghost') });
        expect(await store.getCode(hash('ghost'))).toBeNull();
      });
    });

    describe('tokens', () => {
      it('puts access and refresh tokens and reads them back exactly', async () => {
        const access = token('a');
        const refresh = token('r', { kind: 'refresh', expiresAt: 1_766_592_000 });
        const machine = token('m', { grantId: id('grant-2'), userId: null, username: null, scope: 'api' });
        await commit({ op: 'putToken', token: access }, { op: 'putToken', token: refresh }, { op: 'putToken', token: machine });
        expect(await store.getToken(hash('a'))).toEqual(access);
        expect(await store.getToken(hash('r'))).toEqual(refresh);
        expect(await store.getToken(hash('m'))).toEqual(machine);
      });

      it('sets a token’s status', async () => {
        await commit({ op: 'putToken', token: token('r', { kind: 'refresh' }) });
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'rotated' });
        expect(await store.getToken(hash('r'))).toEqual(token('r', { kind: 'refresh', status: 'rotated' }));
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'revoked' });
        expect(await statusOf('r')).toBe('revoked');
      });

      it('creates nothing when setting the status of an unknown token', async () => {
        await commit({ op: 'setTokenStatus', hash: hash('ghost'), status: 'revoked' });
        expect(await store.getToken(hash('ghost'))).toBeNull();
      });

      it('keeps a revoked token revoked when a later batch sets it rotated or active (a revocation is final)', async () => {
        await commit({ op: 'putToken', token: token('r', { kind: 'refresh' }) });
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'revoked' });
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'rotated' });
        expect(await statusOf('r')).toBe('revoked');
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'active' });
        expect(await statusOf('r')).toBe('revoked');
      });

      it('keeps tokens of a revoked grant revoked when a later batch rotates one', async () => {
        await commit({ op: 'putToken', token: token('r', { kind: 'refresh' }) });
        await commit({ op: 'revokeGrant', grantId: id('grant-1') });
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'rotated' });
        expect(await statusOf('r')).toBe('revoked');
      });

      it('does not reset the status when the same putToken is replayed (idempotent)', async () => {
        const refresh = token('r', { kind: 'refresh' });
        const access = token('a');
        await commit({ op: 'putToken', token: refresh }, { op: 'putToken', token: access });
        await commit({ op: 'setTokenStatus', hash: hash('r'), status: 'rotated' }, { op: 'setTokenStatus', hash: hash('a'), status: 'revoked' });
        await commit({ op: 'putToken', token: refresh }, { op: 'putToken', token: access });
        expect(await store.getToken(hash('r'))).toEqual({ ...refresh, status: 'rotated' });
        expect(await store.getToken(hash('a'))).toEqual({ ...access, status: 'revoked' });
      });

      it('revokes every token of a grant, whatever its status, and none of another grant', async () => {
        await commit(
          { op: 'putToken', token: token('a1') },
          { op: 'putToken', token: token('r1', { kind: 'refresh' }) },
          { op: 'putToken', token: token('a2') },
          { op: 'putToken', token: token('r2', { kind: 'refresh' }) },
          { op: 'putToken', token: token('other-a', { grantId: id('grant-2') }) },
          { op: 'putToken', token: token('other-r', { grantId: id('grant-2'), kind: 'refresh' }) },
        );
        await commit({ op: 'setTokenStatus', hash: hash('r1'), status: 'rotated' });
        await commit({ op: 'revokeGrant', grantId: id('grant-1') });
        for (const label of ['a1', 'r1', 'a2', 'r2']) expect(await statusOf(label)).toBe('revoked');
        expect(await statusOf('other-a')).toBe('active');
        expect(await statusOf('other-r')).toBe('active');
        expect(await store.getToken(hash('a1'))).toEqual(token('a1', { status: 'revoked' }));
      });

      it('changes nothing when revoking an unknown grant', async () => {
        await commit({ op: 'putToken', token: token('a') });
        await commit({ op: 'revokeGrant', grantId: id('grant-none') });
        expect(await statusOf('a')).toBe('active');
      });
    });

    it('applies the operations of one batch in order', async () => {
      await commit(
        { op: 'putClient', client: client({ name: 'first' }) },
        { op: 'putClient', client: client({ name: 'second' }) },
        { op: 'setClientSecret', clientId: id('app'), secretHash: 'scrypt$last' },
        // What one batch holding TokenIssued then TokenRefreshed asks for.
        { op: 'putToken', token: token('r1', { kind: 'refresh' }) },
        { op: 'setTokenStatus', hash: hash('r1'), status: 'rotated' },
        { op: 'putToken', token: token('r2', { kind: 'refresh' }) },
        { op: 'putCode', code: code('c') },
        { op: 'markCodeRedeemed', hash: hash('c') },
      );
      expect(await store.getClient(id('app'))).toEqual(client({ name: 'second', secretHash: 'scrypt$last' }));
      expect(await statusOf('r1')).toBe('rotated');
      expect(await statusOf('r2')).toBe('active');
      expect((await store.getCode(hash('c')))?.redeemed).toBe(true);
    });

    describe('checkpoints', () => {
      it('returns exactly the position of the last commit, both parts', async () => {
        await store.commit(id('tokens'), [], pos(7, 6));
        expect(await store.getCheckpoint(id('tokens'))).toEqual(pos(7, 6));
        await store.commit(id('tokens'), [{ op: 'putToken', token: token('a') }], pos(12, 11));
        expect(await store.getCheckpoint(id('tokens'))).toEqual(pos(12, 11));
        expect(await statusOf('a')).toBe('active');
      });

      it('keeps positions above 2^53 exactly', async () => {
        const big = pos(2n ** 53n + 1n, 2n ** 53n + 3n);
        await store.commit(id('big'), [], big);
        const read = await store.getCheckpoint(id('big'));
        expect(read).toEqual(big);
        expect(typeof read?.commit).toBe('bigint');
        expect(typeof read?.prepare).toBe('bigint');

        const huge = pos(2n ** 64n - 1n, 2n ** 63n + 5n);
        await store.commit(id('big'), [], huge);
        expect(await store.getCheckpoint(id('big'))).toEqual(huge);
      });

      it('keeps the checkpoint of each projection apart', async () => {
        await store.commit(id('clients'), [], pos(3));
        await store.commit(id('users'), [], pos(5, 4));
        expect(await store.getCheckpoint(id('clients'))).toEqual(pos(3));
        expect(await store.getCheckpoint(id('users'))).toEqual(pos(5, 4));
        expect(await store.getCheckpoint(id('scopes'))).toBeNull();
      });
    });
  });
}
