import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presumeGrant } from '../../src/commands/load-grant.js';
import { fold } from '../../src/domain/aggregate.js';
import { parseEvent } from '../../src/domain/events.js';
import { evolveGrant, initialGrant } from '../../src/domain/grant.js';
import { tokenDigest } from '../../src/security/tokens.js';
import { BASIC, form, startTestServer, type TestServer } from '../support/app.js';

/**
 * A refresh is decided first on the family's state as the presented token's row records it, and
 * appended at the revision the row names (decision 0015). These are the cases where that
 * presumption does not hold, and the answers the grant's stream gives instead.
 */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

type Tokens = { access_token: string; refresh_token: string; scope: string };
const password = async (scope?: string): Promise<Tokens> =>
  (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword', ...(scope ? { scope } : {}) })).json();
const refresh = (refresh_token: string, scope?: string) =>
  s.token({ grant_type: 'refresh_token', refresh_token, ...(scope ? { scope } : {}) });
const me = async (token: string) => (await s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;
const rowOf = async (token: string) => (await s.runtime.reads.getToken(tokenDigest(token)))!;

describe("the state a refresh token's row presumes", () => {
  it('is the state its grant stream folds to at the revision the row names, but for the rotation before it', async () => {
    let tokens = await password('foo bar');
    const rows = [await rowOf(tokens.refresh_token)];
    for (const scope of [undefined, 'foo', undefined]) {
      tokens = (await refresh(tokens.refresh_token, scope)).json();
      rows.push(await rowOf(tokens.refresh_token));
    }
    const recorded = await s.runtime.events.readStream(`grant-${rows[0]!.grantId}`);
    expect(rows.map((r) => r.grantRevision)).toEqual([0, 1, 2, 3]);
    expect(rows.map((r) => [r.scope, r.grantedScope])).toEqual([
      ['foo bar', 'foo bar'],
      ['foo bar', 'foo bar'],
      ['foo', 'foo bar'],
      // A refresh that names no scope gets the scope granted (RFC 6749 §6), not the one before it.
      ['foo bar', 'foo bar'],
    ]);
    for (const row of rows) {
      const presumed = presumeGrant(row, Math.floor(Date.now() / 1000))!;
      const upTo = recorded.filter((r) => r.revision <= BigInt(row.grantRevision!)).map((r) => parseEvent(r.type, r.data)!);
      expect(presumed.revision).toBe(BigInt(row.grantRevision!));
      expect(presumed.state).toEqual({ ...fold(evolveGrant, initialGrant, upTo), lastRotation: null });
    }
  });

  it('is not presumed for an access token, nor once the refresh token has expired', async () => {
    const tokens = await password();
    const row = await rowOf(tokens.refresh_token);
    expect(presumeGrant(await rowOf(tokens.access_token), row.issuedAt)).toBeNull();
    expect(presumeGrant(row, row.expiresAt - 1)).not.toBeNull();
    expect(presumeGrant(row, row.expiresAt)).toBeNull();
  });
});

describe('a refresh whose presumption no longer holds is decided on the stream', () => {
  it('rotates after an access token of the family was revoked on its own', async () => {
    const first = await password();
    const revoked = await s.app.inject({
      method: 'POST',
      url: '/api/v1/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
      payload: form({ token: first.access_token }),
    });
    expect(revoked.statusCode).toBe(200);
    const res = await refresh(first.refresh_token);
    expect(res.statusCode).toBe(200);
    const next: Tokens = res.json();
    expect(await me(next.access_token)).toBe(200);
    expect(await me(first.access_token)).toBe(401);
    expect((await refresh(next.refresh_token)).statusCode).toBe(200);
  });

  it('answers a repeat within the grace window with the successor, whatever scope it asks for', async () => {
    const first = await password();
    const successor: Tokens = (await refresh(first.refresh_token)).json();
    // Decided on the row, this asks for a scope the family was not granted; on the stream, it is a
    // repeat of the rotation just made.
    const repeat = await refresh(first.refresh_token, 'foo bar admin');
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toMatchObject({ access_token: successor.access_token, refresh_token: successor.refresh_token });
    // The same request on the current token is refused: it was granted no such scope.
    const widened = await refresh(successor.refresh_token, 'foo bar admin');
    expect(widened.statusCode).toBe(400);
    expect(widened.json().error).toBe('invalid_scope');
  });
});
