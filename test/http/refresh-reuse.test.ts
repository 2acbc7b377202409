import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNewEvents } from '../../src/commands/context.js';
import { AggregateCache } from '../../src/commands/aggregate-cache.js';
import { loadAggregate } from '../../src/commands/load.js';
import { registerClient } from '../../src/commands/register-client.js';
import { evolveGrant, initialGrant } from '../../src/domain/grant.js';
import { event } from '../../src/domain/events.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { seal } from '../../src/security/seal.js';
import { randomToken, tokenDigest } from '../../src/security/tokens.js';
import { startTestServer, type TestServer } from '../support/app.js';

/**
 * RFC 9700 §4.14 refresh token rotation with reuse detection, over HTTP: a rotated refresh token
 * presented after the grace window revokes its whole grant; concurrent refreshes and repeats
 * within the window get the one successor.
 */
let s: TestServer;
const OTHER = `Basic ${Buffer.from('other:othersecret').toString('base64')}`;
const realNow = () => Math.floor(Date.now() / 1000);
beforeAll(async () => {
  s = await startTestServer();
  await registerClient(
    s.runtime.ctx,
    { clientId: 'other', name: 'Other', secret: 'othersecret', redirectUris: [], grantTypes: ['password', 'refresh_token'], allowedScopes: null, resourceServer: false },
    {},
  );
});
afterAll(() => s.close());

type Tokens = { access_token: string; refresh_token: string; scope: string; expires_in: number; token_type: string };
const password = async (): Promise<Tokens> =>
  (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })).json();
const refresh = (refresh_token: string, auth?: string) => s.token({ grant_type: 'refresh_token', refresh_token }, auth);
const me = async (token: string) => (await s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;
const grantIdOf = async (token: string) => (await s.runtime.reads.getToken(tokenDigest(token)))!.grantId;
const grantEvents = async (grantId: string) => s.runtime.events.readStream(`grant-${grantId}`);
/** Moves the server's clock; the grace window is measured with it. */
function clockAhead(seconds: number): () => void {
  s.runtime.ctx.now = () => realNow() + seconds;
  return () => {
    s.runtime.ctx.now = realNow;
  };
}

/**
 * The events each of the server's reads of `stream` (forwards and backwards) returns while `run`
 * runs, in order. `run` gets the store unwatched, to fold the log without being counted.
 */
async function readsOf(stream: string, run: (unwatched: EventStore) => Promise<void>): Promise<number[]> {
  const events = s.runtime.ctx.events;
  const { readStream, readStreamBackwards } = events;
  const reads: number[] = [];
  const counted = (got: RecordedEvent[], id: string) => {
    if (id === stream) reads.push(got.length);
    return got;
  };
  events.readStream = async (id, from) => counted(await readStream(id, from), id);
  events.readStreamBackwards = async (id, count, from) => counted(await readStreamBackwards(id, count, from), id);
  try {
    await run({ ...events, readStream, readStreamBackwards });
  } finally {
    Object.assign(events, { readStream, readStreamBackwards });
  }
  return reads;
}
const total = (reads: number[]) => reads.reduce((a, b) => a + b, 0);

describe('reuse of a rotated refresh token (after the grace window)', () => {
  it('revokes the whole grant, records RefreshTokenReuseDetected then TokenRevoked, answers invalid_grant', async () => {
    const first = await password();
    const grantId = await grantIdOf(first.access_token);
    const second: Tokens = (await refresh(first.refresh_token)).json();
    const restore = clockAhead(11);
    try {
      const reuse = await refresh(first.refresh_token);
      expect(reuse.statusCode).toBe(400);
      expect(reuse.json()).toMatchObject({ error: 'invalid_grant' });
      expect(reuse.json()).not.toHaveProperty('access_token');
      // Every token of the family, the current one included, stops working the moment the answer is sent.
      expect(await me(second.access_token)).toBe(401);
      expect(await me(first.access_token)).toBe(401);
      expect((await refresh(second.refresh_token)).json().error).toBe('invalid_grant');
    } finally {
      restore();
    }
    const types = (await grantEvents(grantId)).map((e) => e.type);
    expect(types).toEqual(['TokenIssued', 'TokenRefreshed', 'RefreshTokenReuseDetected', 'TokenRevoked']);
    const [detected, revoked] = (await grantEvents(grantId)).slice(2);
    expect(detected!.data).toEqual({ grantId, clientId: 'testclient', presentedRefreshTokenHash: tokenDigest(first.refresh_token) });
    expect(revoked!.data).toEqual({ grantId, clientId: 'testclient', reason: 'refresh_token_reuse' });
  });

  it('records the reuse once when several reuses race', async () => {
    const first = await password();
    const grantId = await grantIdOf(first.access_token);
    await refresh(first.refresh_token);
    const restore = clockAhead(11);
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => refresh(first.refresh_token)));
      for (const r of results) expect(r.json().error).toBe('invalid_grant');
    } finally {
      restore();
    }
    const types = (await grantEvents(grantId)).map((e) => e.type);
    expect(types.filter((t) => t === 'RefreshTokenReuseDetected')).toHaveLength(1);
    expect(types.filter((t) => t === 'TokenRevoked')).toHaveLength(1);
  });

  it('treats a token two rotations back as reuse even within the grace window', async () => {
    const first = await password();
    const second: Tokens = (await refresh(first.refresh_token)).json();
    const third: Tokens = (await refresh(second.refresh_token)).json();
    expect((await refresh(first.refresh_token)).json().error).toBe('invalid_grant');
    expect(await me(third.access_token)).toBe(401);
  });

  it('does not let another client revoke the grant with a stolen rotated token', async () => {
    const first = await password();
    const second: Tokens = (await refresh(first.refresh_token)).json();
    const restore = clockAhead(11);
    try {
      expect((await refresh(first.refresh_token, OTHER)).json().error).toBe('invalid_grant');
      expect(await me(second.access_token)).toBe(200);
    } finally {
      restore();
    }
  });
});

describe('repeats within the grace window (REFRESH_REUSE_GRACE, default 10 s)', () => {
  it('answer the same successor tokens and leave the grant standing', async () => {
    const first = await password();
    const a = await refresh(first.refresh_token);
    const b = await refresh(first.refresh_token);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    const [x, y] = [a.json() as Tokens, b.json() as Tokens];
    expect(y.access_token).toBe(x.access_token);
    expect(y.refresh_token).toBe(x.refresh_token);
    expect(y).toMatchObject({ token_type: 'Bearer', scope: x.scope });
    expect(y.expires_in).toBeGreaterThan(3590);
    expect(b.headers['cache-control']).toBe('no-store');
    expect(await me(x.access_token)).toBe(200);
    // The successor goes on rotating as usual.
    const next = await refresh(x.refresh_token);
    expect(next.statusCode).toBe(200);
    expect(next.json().refresh_token).not.toBe(x.refresh_token);
  });

  it('12 concurrent refreshes of one token all get the one successor; one rotation is recorded', async () => {
    const first = await password();
    const grantId = await grantIdOf(first.access_token);
    const results = await Promise.all(Array.from({ length: 12 }, () => refresh(first.refresh_token)));
    for (const r of results) expect(r.statusCode).toBe(200);
    const bodies = results.map((r) => r.json() as Tokens);
    expect(new Set(bodies.map((t) => t.refresh_token)).size).toBe(1);
    expect(new Set(bodies.map((t) => t.access_token)).size).toBe(1);
    const types = (await grantEvents(grantId)).map((e) => e.type);
    expect(types).toEqual(['TokenIssued', 'TokenRefreshed']);
    expect(await me(bodies[0]!.access_token)).toBe(200);
    expect((await refresh(bodies[0]!.refresh_token)).statusCode).toBe(200);
  });

  it('keep in the log only a seed, which gives the successor only with the old refresh token', async () => {
    const first = await password();
    const grantId = await grantIdOf(first.access_token);
    const second: Tokens = (await refresh(first.refresh_token)).json();
    const rotation = (await grantEvents(grantId)).find((e) => e.type === 'TokenRefreshed')!;
    const stored = JSON.stringify(rotation.data);
    expect(rotation.data).toMatchObject({ successor: { sealed: expect.stringMatching(/^v2\./), rotatedAt: expect.any(Number) } });
    for (const raw of [first.refresh_token, second.access_token, second.refresh_token]) {
      expect(stored).not.toContain(raw);
      expect(stored).not.toContain(raw.slice(8));
      expect(stored).not.toContain(Buffer.from(raw).toString('base64'));
    }
  });

  it('answer a rotation the earlier version recorded (the pair sealed, v1) with its pair', async () => {
    const first = await password();
    const grantId = await grantIdOf(first.access_token);
    const pair = { access_token: randomToken(), refresh_token: randomToken() };
    const now = realNow();
    const state = (await grantEvents(grantId))[0]!.data as { clientId: string; userId: string; username: string; scope: string };
    const rotated = event('TokenRefreshed', {
      grantId,
      clientId: state.clientId,
      userId: state.userId,
      username: state.username,
      scope: state.scope,
      previousRefreshTokenHash: tokenDigest(first.refresh_token),
      accessTokenHash: tokenDigest(pair.access_token),
      accessExpiresAt: now + 3600,
      refreshTokenHash: tokenDigest(pair.refresh_token),
      refreshExpiresAt: now + 86400,
      successor: { rotatedAt: now, sealed: seal(first.refresh_token, 'refresh successor', grantId, JSON.stringify(pair)) },
    });
    await s.runtime.events.append(`grant-${grantId}`, toNewEvents([rotated], {}), 0n);
    const repeat = await refresh(first.refresh_token);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toMatchObject(pair);
    expect(await me(pair.access_token)).toBe(200);
    expect((await refresh(pair.refresh_token)).statusCode).toBe(200);
  });

  it('give nothing to another client presenting the old token', async () => {
    const first = await password();
    await refresh(first.refresh_token);
    const res = await refresh(first.refresh_token, OTHER);
    expect(res.json()).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  it('become reuse once the window is over, also after repeats', async () => {
    const first = await password();
    const second: Tokens = (await refresh(first.refresh_token)).json();
    expect((await refresh(first.refresh_token)).statusCode).toBe(200);
    const restore = clockAhead(10);
    try {
      expect((await refresh(first.refresh_token)).json().error).toBe('invalid_grant');
      expect(await me(second.access_token)).toBe(401);
    } finally {
      restore();
    }
  });
});

describe('REFRESH_REUSE_GRACE=0', () => {
  it('makes any repeat reuse, and records no successor in the log', async () => {
    const t = await startTestServer({ REFRESH_REUSE_GRACE: '0' });
    try {
      const first = (await t.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })).json();
      const grantId = (await t.runtime.reads.getToken(tokenDigest(first.access_token)))!.grantId;
      const second = (await t.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).json();
      const again = await t.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(again.json().error).toBe('invalid_grant');
      const res = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${second.access_token}` } });
      expect(res.statusCode).toBe(401);
      const events = await t.runtime.events.readStream(`grant-${grantId}`);
      expect(events.map((e) => e.type)).toEqual(['TokenIssued', 'TokenRefreshed', 'RefreshTokenReuseDetected', 'TokenRevoked']);
      expect(events[1]!.data).not.toHaveProperty('successor');
    } finally {
      await t.close();
    }
  });
});

describe('the token family a refresh remembers', () => {
  it('is the state its log folds to, so the next refresh reads none of its own rotations back', async () => {
    const first = await password();
    const grantId = await grantIdOf(first.access_token);
    const stream = `grant-${grantId}`;
    // Counts the events each read of this family's stream gives back to the server.
    const reads = await readsOf(stream, async (log) => {
      const folded = async () => {
        const { state, revision } = await loadAggregate(log, stream, evolveGrant, initialGrant);
        return { state, revision };
      };
      let previous: Tokens = first;
      let current: Tokens = first;
      for (let i = 0; i < 3; i++) {
        const res = await refresh(current.refresh_token);
        expect(res.statusCode).toBe(200);
        [previous, current] = [current, res.json()];
        expect(s.runtime.ctx.aggregates.get(stream)).toEqual(await folded());
      }
      // A repeat within the grace window gets the same pair; a token three rotations back is
      // reuse, and revokes the grant.
      expect((await refresh(previous.refresh_token)).json().refresh_token).toBe(current.refresh_token);
      expect((await refresh(first.refresh_token)).json().error).toBe('invalid_grant');
      expect(s.runtime.ctx.aggregates.get(stream)).toEqual(await folded());
      expect((await refresh(current.refresh_token)).json().error).toBe('invalid_grant');
    });
    // The rotations read nothing: each was decided on the family's state as the presented token's
    // row records it (decision 0015). The repeat's and the reuse's presumptions failed at the
    // append; their loads found the state the rotations remembered and nothing new to read (the
    // repeat then read the last event for its position, not the family's whole history). The last
    // request, its family revoked and gone from the read model, read no stream at all.
    expect(reads).toEqual([0, 1, 0]);
  });
});

describe('a long-lived token family whose state is not cached', () => {
  /** Forgets every cached family state, as on a fresh start or after eviction. */
  const forgetFamilies = () => {
    s.runtime.ctx.aggregates = new AggregateCache();
  };
  it('is rotated on its current token with no read of its stream, and loaded from its latest rotation only to tell reuse of an early token', async () => {
    const tokens: Tokens[] = [await password()];
    for (let i = 0; i < 30; i++) tokens.push((await refresh(tokens.at(-1)!.refresh_token)).json());
    const stream = `grant-${await grantIdOf(tokens[0]!.access_token)}`;
    expect(await grantEvents(stream.slice('grant-'.length))).toHaveLength(31);

    forgetFamilies();
    const rotation = await readsOf(stream, async () => {
      const res = await refresh(tokens.at(-1)!.refresh_token);
      expect(res.statusCode).toBe(200);
      tokens.push(res.json());
    });
    expect(rotation).toEqual([]);

    // The third token of the family, rotated away long ago: its hash is in no state read since.
    // Its row says it was current at revision 2, which the append refuses; the load that follows
    // reads the stream back to its latest rotation only.
    forgetFamilies();
    const restore = clockAhead(11);
    try {
      const reuse = await readsOf(stream, async () => {
        expect((await refresh(tokens[2]!.refresh_token)).json().error).toBe('invalid_grant');
      });
      expect(reuse).toEqual([1]);
    } finally {
      restore();
    }
    expect(await me(tokens.at(-1)!.access_token)).toBe(401);
    expect((await refresh(tokens.at(-1)!.refresh_token)).json().error).toBe('invalid_grant');
  });

  it('is read back to its issuance when its rotations predate grantedScope in TokenRefreshed', async () => {
    const first = await password();
    const issued = (await s.runtime.reads.getToken(tokenDigest(first.access_token)))!;
    const stream = `grant-${issued.grantId}`;
    // Rotations as an earlier version recorded them: without grantedScope.
    const refreshTokens = [first.refresh_token];
    for (let i = 0; i < 12; i++) {
      const next = randomToken();
      const rotation = event('TokenRefreshed', {
        grantId: issued.grantId,
        clientId: 'testclient',
        userId: issued.userId,
        username: issued.username,
        scope: first.scope,
        previousRefreshTokenHash: tokenDigest(refreshTokens.at(-1)!),
        accessTokenHash: tokenDigest(randomToken()),
        accessExpiresAt: realNow() + 3600,
        refreshTokenHash: tokenDigest(next),
        refreshExpiresAt: realNow() + 86_400,
      });
      const { position } = await s.runtime.ctx.events.append(stream, toNewEvents([rotation], {}), BigInt(i));
      // Projected before a request presents the new token (at once inline; MongoDB read models lag).
      await s.runtime.ctx.waitForProjection(position);
      refreshTokens.push(next);
    }

    forgetFamilies();
    let current: Tokens | undefined;
    const reads = await readsOf(stream, async () => {
      const res = await refresh(refreshTokens.at(-1)!);
      expect(res.statusCode).toBe(200);
      current = res.json();
    });
    // Back to the TokenIssued: all thirteen events.
    expect(total(reads)).toBe(13);

    forgetFamilies();
    const restore = clockAhead(11);
    try {
      expect((await refresh(refreshTokens[1]!)).json().error).toBe('invalid_grant');
    } finally {
      restore();
    }
    expect((await refresh(current!.refresh_token)).json().error).toBe('invalid_grant');
  });
});
