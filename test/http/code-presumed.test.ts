import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCode, validateAuthorizationRequest } from '../../src/commands/authorize.js';
import type { CommandContext } from '../../src/commands/context.js';
import { exchangeCode } from '../../src/commands/exchange-code.js';
import { loadAggregate } from '../../src/commands/load.js';
import { presumeCode } from '../../src/commands/presume-code.js';
import { codeStream, evolveCode, initialCode } from '../../src/domain/authorization-code.js';
import { OAuthError } from '../../src/domain/errors.js';
import type { CodeView } from '../../src/store/read-store.js';
import { s256, tokenDigest } from '../../src/security/tokens.js';
import { openRuntime } from '../../src/composition.js';
import { buildApp } from '../../src/http/app.js';
import { postToken, startTestServer, type TestServer } from '../support/app.js';

/**
 * A code exchange is decided first on the code's row in the codes read model, and its redemption
 * appended at the revision CodeIssued opens the stream with (decision 0015). These are the cases
 * where the row no longer tells the truth, and the answers the code's stream gives instead.
 */
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

const REDIRECT = 'https://www.example.com';
const VERIFIER = 'a'.repeat(20) + '-._~' + 'Z'.repeat(30);

async function newCode(pkce = false): Promise<string> {
  const request = await validateAuthorizationRequest(s.runtime.ctx, {
    response_type: 'code',
    client_id: 'testclient',
    redirect_uri: REDIRECT,
    ...(pkce ? { code_challenge: s256(VERIFIER), code_challenge_method: 'S256' } : {}),
  });
  const user = (await s.runtime.reads.getUserByUsername('testuser@example.com'))!;
  const code = await issueCode(s.runtime.ctx, request, user, 'foo bar', {});
  // In the read model before it is used (at once inline; MongoDB read models lag).
  await s.runtime.ctx.waitForProjection((await s.runtime.events.headPosition())!);
  return code;
}
const exchange = (code: string, extra: Record<string, string> = {}) =>
  s.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra });
const me = async (token: string) => (await s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;

describe("the state a code's row presumes", () => {
  it('is the state its stream folds to, at its revision, with and without PKCE', async () => {
    for (const pkce of [false, true]) {
      const hash = tokenDigest(await newCode(pkce));
      const row = await s.runtime.reads.getCode(hash);
      expect(row?.issued?.codeChallenge ?? null).toBe(pkce ? s256(VERIFIER) : null);
      const { state, revision } = await loadAggregate(s.runtime.events, codeStream(hash), evolveCode, initialCode);
      expect(presumeCode(row)).toEqual({ state, revision });
    }
  });

  it('is not presumed without a row, or from a row written before it', async () => {
    const row = (await s.runtime.reads.getCode(tokenDigest(await newCode())))!;
    expect(presumeCode(null)).toBeNull();
    expect(presumeCode({ ...row, issued: null })).toBeNull();
  });
});

describe('an exchange whose row lags behind its stream (a redemption not yet projected)', () => {
  /**
   * The server's commands, but reading `row` for every code, as from a read model that lags, and
   * deciding on it as with inline projection.
   */
  const lagging = (row: CodeView): CommandContext => ({
    ...s.runtime.ctx,
    inlineProjection: true,
    reads: { ...s.runtime.ctx.reads, getCode: async () => row },
  });
  const client = async () => (await s.runtime.reads.getClient('testclient'))!;

  it.each([
    ['the same redirect_uri', REDIRECT],
    ['another redirect_uri, which the row alone would refuse for that', 'https://evil.example'],
  ])('is a replay, decided on the stream, with %s: the tokens the code bought are revoked', async (_, redirectUri) => {
    const code = await newCode();
    const before = (await s.runtime.reads.getCode(tokenDigest(code)))!;
    const first = await exchange(code);
    expect(first.statusCode).toBe(200);
    expect(await s.runtime.reads.getCode(tokenDigest(code))).toBeNull();
    const replay = exchangeCode(lagging(before), await client(), { code, redirectUri, codeVerifier: undefined }, {});
    await expect(replay).rejects.toThrow(new OAuthError('invalid_grant', 'authorization code has already been used'));
    expect(await me(first.json().access_token)).toBe(401);
  });
});

describe('an exchange of a code another worker redeemed, on the worker that issued it', () => {
  it('is a replay: the tokens the first exchange bought are revoked', async () => {
    // Another worker: a second runtime (its own connection) on the same store, leaving the
    // projector and the WAL's checkpoints to the first, as `serve` opens its workers.
    const other = await openRuntime(s.runtime.config, pino({ level: 'silent' }), { projections: false, checkpointWal: false });
    const otherApp = buildApp(other);
    try {
      const code = await newCode();
      const first = await postToken(otherApp, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
      expect(first.statusCode).toBe(200);
      expect(await me(first.json().access_token)).toBe(200);

      const replay = await exchange(code);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ error: 'invalid_grant', error_description: 'authorization code has already been used' });
      expect(await me(first.json().access_token)).toBe(401);
    } finally {
      await otherApp.close();
      await other.close();
    }
  });
});

describe('an exchange on read models projected elsewhere (MongoDB)', () => {
  it('is decided on the stream, without the round trip a row would cost', async () => {
    const code = await newCode();
    const unread: CommandContext = {
      ...s.runtime.ctx,
      inlineProjection: false,
      reads: { ...s.runtime.ctx.reads, getCode: () => Promise.reject(new Error('the codes read model was read')) },
    };
    const client = (await s.runtime.reads.getClient('testclient'))!;
    const tokens = await exchangeCode(unread, client, { code, redirectUri: REDIRECT, codeVerifier: undefined }, {});
    expect(await me(tokens.access_token)).toBe(200);
  });
});

describe('an exchange decided on the row', () => {
  it('checks PKCE as the stream would', async () => {
    const code = await newCode(true);
    expect((await exchange(code)).json().error_description).toBe('code_verifier is required');
    expect((await exchange(code, { code_verifier: 'b'.repeat(50) })).json().error_description).toBe('code_verifier does not match');
    const ok = await exchange(code, { code_verifier: VERIFIER });
    expect(ok.statusCode).toBe(200);
    expect(await me(ok.json().access_token)).toBe(200);
  });
});
