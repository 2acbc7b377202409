import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/commands/register-client.js';
import { event } from '../../src/domain/events.js';
import { projectInline } from '../../src/projections/inline.js';
import { PROJECTORS } from '../../src/projections/all.js';
import type { Projector } from '../../src/projections/projector.js';
import { tokenDigest } from '../../src/security/tokens.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';
import { startTestServer, type TestServer } from '../support/app.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A TokenIssued for `token`, as a process that does not project its appends would write it. */
async function appendUnprojected(dataDir: string, token: string): Promise<void> {
  const store = new SqliteEventStore(openDatabase(dataDir));
  const now = Math.floor(Date.now() / 1000);
  const issued = event('TokenIssued', {
    grantId: `raw-${token}`,
    grantType: 'client_credentials',
    clientId: 'testclient',
    userId: null,
    username: null,
    scope: '',
    accessTokenHash: tokenDigest(token),
    accessExpiresAt: now + 3600,
    refreshTokenHash: null,
    refreshExpiresAt: null,
  });
  await store.append(`grant-raw-${token}`, [{ ...issued, metadata: { occurredAt: new Date().toISOString() } }], 'no_stream');
  await store.close();
}

const me = (s: TestServer, token: string) =>
  s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

describe('inline projection on the embedded store', () => {
  it('projects events another writer left unprojected with the next append, before it', async () => {
    const s = await startTestServer();
    servers.push(s);
    await appendUnprojected(s.dataDir, 'left-behind');
    expect((await me(s, 'left-behind')).statusCode).toBe(401);
    // The projection lag (/readyz, /metrics) shows it meanwhile.
    const head = async () => (await s.runtime.events.headPosition())!.commit;
    expect((await s.runtime.projectedPosition())!.commit).toBeLessThan(await head());

    const issued = await s.token({ grant_type: 'client_credentials' });
    expect(issued.statusCode).toBe(200);
    expect((await me(s, 'left-behind')).statusCode).toBe(200);
    expect((await s.runtime.projectedPosition())!.commit).toBe(await head());
    expect((await me(s, issued.json().access_token)).statusCode).toBe(200);
  });

  it('brings read models that are behind the log up to its head when the server opens', async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    await first.close();
    await appendUnprojected(dataDir, 'before-start');

    const s = await startTestServer({ DATA_DIR: dataDir }, { fixtures: false });
    servers.push(s);
    expect((await me(s, 'before-start')).statusCode).toBe(200);
  });

  it('serves a client registered in this process at once, although clients are cached', async () => {
    const s = await startTestServer();
    servers.push(s);
    const secondClient = `Basic ${Buffer.from('second:second-secret').toString('base64')}`;
    // The unknown client is now cached as absent.
    expect((await s.token({ grant_type: 'client_credentials' }, secondClient)).statusCode).toBe(401);
    await registerClient(
      s.runtime.ctx,
      {
        clientId: 'second',
        name: 'Second',
        secret: 'second-secret',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        allowedScopes: null,
        resourceServer: false,
      },
      {},
    );
    const res = await s.token({ grant_type: 'client_credentials' }, secondClient);
    expect(res.statusCode).toBe(200);
  });

  it('rolls an append back with its projection: a projector that throws leaves neither events nor rows', async () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'oauth2-inline-')));
    const events = new SqliteEventStore(db);
    const reads = new SqliteReadStore(db);
    const failing: Projector = {
      name: 'scopes',
      project: (e) => {
        if (e.type === 'ScopeDefined' && e.data.name === 'boom') throw new Error('projector bug');
        return PROJECTORS.find((p) => p.name === 'scopes')!.project(e, undefined as never);
      },
    };
    projectInline(events, reads, [failing]);
    const define = (name: string) =>
      events.append(
        `scope-${name}`,
        [{ ...event('ScopeDefined', { name, description: name, isDefault: false }), metadata: { occurredAt: new Date().toISOString() } }],
        'no_stream',
      );

    await define('fine');
    await expect(define('boom')).rejects.toThrow('projector bug');
    // An atomic append whose second part fails its revision check: its first part is not projected.
    const scope = (name: string) => [
      { ...event('ScopeDefined', { name, description: name, isDefault: false }), metadata: { occurredAt: new Date().toISOString() } },
    ];
    await expect(
      events.appendAtomically([
        { streamId: 'scope-rolled-back', events: scope('rolled-back'), expected: 'no_stream' },
        { streamId: 'scope-fine', events: scope('fine'), expected: 'no_stream' },
      ]),
    ).rejects.toThrow(/expected revision/);
    expect((await events.readAll(null, 10)).map((e) => e.streamId)).toEqual(['scope-fine']);
    expect((await reads.listScopes()).map((s) => s.name)).toEqual(['fine']);
    expect(await reads.getCheckpoint('scopes')).toEqual((await events.headPosition())!);
    await events.close();
    db.close();
  });
});
