import { describe, expect, it } from 'vitest';
import { auditEntry, shortHash } from '../../src/audit/entry.js';
import { formatEntries, formatLiveTokens } from '../../src/audit/format.js';
import { grantHistory } from '../../src/audit/history.js';
import { liveAsOf } from '../../src/audit/live.js';
import { partyFilter, selectGrants } from '../../src/audit/select.js';
import { parseAuditTime, parseRange } from '../../src/audit/time.js';
import { type DomainEvent, event } from '../../src/domain/events.js';
import type { EventMetadata, RecordedEvent } from '../../src/store/event-store.js';
import { sha256Hex } from '../../src/security/tokens.js';

/** Hashes of made-up token values, as the server records them. */
const H = {
  code1: sha256Hex('code-1'),
  a1: sha256Hex('access-1'),
  r1: sha256Hex('refresh-1'),
  a2: sha256Hex('access-2'),
  r2: sha256Hex('refresh-2'),
  a3: sha256Hex('access-3'),
  a4: sha256Hex('access-4'),
};
const FULL_HASH = /[0-9a-f]{64}/;

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const unix = (seconds: number) => Math.floor(T0 / 1000) + seconds;

let position = 0n;
function rec(streamId: string, e: DomainEvent, seconds: number, meta: Partial<EventMetadata> = {}): RecordedEvent {
  position += 1n;
  return {
    id: `e-${position}`,
    streamId,
    revision: 0n,
    position: { commit: position, prepare: position },
    type: e.type,
    data: e.data,
    metadata: { occurredAt: at(seconds), requestId: `req-${position}`, ip: '203.0.113.7', userAgent: 'curl/8', ...meta },
  };
}

const web = { actor: { clientId: 'web', userId: 'u-alice' } };
/** The log, in order: alice's code flow on `web` (g-1), a password grant on `cli` (g-2), `web`'s own token (g-3). */
const LOG: RecordedEvent[] = [
  rec('client-web', event('ClientRegistered', { clientId: 'web', name: 'Web', secretHash: 'scrypt$secret', redirectUris: ['https://web.example/cb'], grantTypes: ['authorization_code', 'refresh_token'], allowedScopes: null, resourceServer: false }), 0, { requestId: 'cli' }),
  rec(`code-${H.code1}`, event('CodeIssued', { codeHash: H.code1, grantId: 'g-1', clientId: 'web', userId: 'u-alice', username: 'alice', redirectUri: 'https://web.example/cb', redirectUriProvided: true, scope: 'read write', expiresAt: unix(610), codeChallenge: 'x'.repeat(43), codeChallengeMethod: 'S256' }), 10, web),
  rec('consent-u-alice-web', event('ConsentGranted', { userId: 'u-alice', clientId: 'web', scope: 'read write' }), 10, web),
  rec(`code-${H.code1}`, event('CodeRedeemed', { codeHash: H.code1, grantId: 'g-1', clientId: 'web' }), 20, { actor: { clientId: 'web' } }),
  rec('grant-g-1', event('TokenIssued', { grantId: 'g-1', grantType: 'authorization_code', clientId: 'web', userId: 'u-alice', username: 'alice', scope: 'read write', accessTokenHash: H.a1, accessExpiresAt: unix(3620), refreshTokenHash: H.r1, refreshExpiresAt: unix(86_400), codeHash: H.code1 }), 20, web),
  rec('grant-g-2', event('TokenIssued', { grantId: 'g-2', grantType: 'password', clientId: 'cli', userId: 'u-alice', username: 'alice', scope: 'read', accessTokenHash: H.a3, accessExpiresAt: unix(60), refreshTokenHash: null, refreshExpiresAt: null }), 30, { actor: { clientId: 'cli', userId: 'u-alice' } }),
  rec('grant-g-1', event('TokenRefreshed', { grantId: 'g-1', clientId: 'web', userId: 'u-alice', username: 'alice', scope: 'read', previousRefreshTokenHash: H.r1, accessTokenHash: H.a2, accessExpiresAt: unix(3700), refreshTokenHash: H.r2, refreshExpiresAt: unix(86_500), successor: { rotatedAt: unix(100), sealed: 'SEALED-SUCCESSOR-PAIR' } }), 100, web),
  rec('grant-g-3', event('TokenIssued', { grantId: 'g-3', grantType: 'client_credentials', clientId: 'web', userId: null, username: null, scope: 'read', accessTokenHash: H.a4, accessExpiresAt: unix(3700), refreshTokenHash: null, refreshExpiresAt: null }), 100, { actor: { clientId: 'web' } }),
  rec('grant-g-1', event('RefreshTokenReuseDetected', { grantId: 'g-1', clientId: 'web', presentedRefreshTokenHash: H.r1 }), 200, { actor: { clientId: 'web', userId: 'u-alice' }, ip: '198.51.100.9' }),
  rec('grant-g-1', event('TokenRevoked', { grantId: 'g-1', clientId: 'web', reason: 'refresh_token_reuse' }), 200, { actor: { clientId: 'web', userId: 'u-alice' }, ip: '198.51.100.9' }),
];

const events = (entries: { event: string }[]) => entries.map((e) => e.event);

describe('audit entries', () => {
  it('turns a recorded event into an entry with request context and stable field names', () => {
    const entry = auditEntry(LOG[1]!);
    expect(entry).toEqual({
      time: '2025-03-01T10:00:10.000Z',
      event: 'CodeIssued',
      stream: `code-…${H.code1.slice(-8)}`,
      actor: { clientId: 'web', userId: 'u-alice' },
      requestId: 'req-2',
      ip: '203.0.113.7',
      userAgent: 'curl/8',
      details: {
        grantId: 'g-1',
        clientId: 'web',
        userId: 'u-alice',
        username: 'alice',
        redirectUri: 'https://web.example/cb',
        scope: 'read write',
        pkce: true,
        code: `…${H.code1.slice(-8)}`,
        expiresAt: '2025-03-01T10:10:10.000Z',
      },
    });
  });

  it('shows hashes as 8 hex characters and an ellipsis, and never the sealed successor', () => {
    expect(shortHash(H.a1)).toBe(`…${H.a1.slice(-8)}`);
    const all = LOG.map(auditEntry).filter((e) => e !== null);
    const json = JSON.stringify(all);
    expect(json).not.toMatch(FULL_HASH);
    expect(json).not.toContain('SEALED');
    expect(json).not.toContain('scrypt');
    const refreshed = all.find((e) => e.event === 'TokenRefreshed')!;
    expect(refreshed.details).toMatchObject({ grantType: 'refresh_token', scope: 'read', previousRefreshToken: shortHash(H.r1), accessToken: shortHash(H.a2) });
  });

  it('leaves out events that are not about grants or consent (a client registration carries a secret hash)', () => {
    expect(auditEntry(LOG[0]!)).toBeNull();
  });

  it('records who revoked a grant and why', () => {
    const revoked = auditEntry(LOG.at(-1)!)!;
    expect(revoked.actor).toEqual({ clientId: 'web', userId: 'u-alice' });
    expect(revoked.details).toEqual({ grantId: 'g-1', clientId: 'web', reason: 'refresh_token_reuse', target: 'grant', token: null });
    const one = auditEntry(rec('grant-g-1', event('TokenRevoked', { grantId: 'g-1', clientId: 'web', reason: 'revocation_request', tokenHash: H.a2 }), 300))!;
    expect(one.details).toMatchObject({ target: 'access_token', token: shortHash(H.a2) });
  });
});

describe('grantHistory', () => {
  it('gives the whole life of one grant in log order, from its code and grant streams in any order', () => {
    const shuffled = [...LOG].reverse();
    const history = grantHistory(shuffled, 'g-1');
    expect(events(history)).toEqual(['CodeIssued', 'CodeRedeemed', 'TokenIssued', 'TokenRefreshed', 'RefreshTokenReuseDetected', 'TokenRevoked']);
    expect(history[2]!.details).toMatchObject({ grantType: 'authorization_code', scope: 'read write', accessExpiresAt: at(3620) });
  });

  it('is empty for an unknown grant', () => {
    expect(grantHistory(LOG, 'g-404')).toEqual([]);
  });
});

describe('selectGrants (grantsOf over a log)', () => {
  it("follows a client's grants, and its consent answers", () => {
    const entries = selectGrants(LOG, { clientId: 'web' });
    expect(events(entries)).toEqual(['CodeIssued', 'ConsentGranted', 'CodeRedeemed', 'TokenIssued', 'TokenRefreshed', 'TokenIssued', 'RefreshTokenReuseDetected', 'TokenRevoked']);
    expect(entries.every((e) => e.details.clientId === 'web')).toBe(true);
  });

  it("follows a user's grants, events that do not name the user included", () => {
    const entries = selectGrants(LOG, { userId: 'u-alice' });
    expect(new Set(entries.map((e) => e.details.grantId))).toEqual(new Set(['g-1', 'g-2', undefined]));
    expect(events(entries)).toContain('CodeRedeemed');
    expect(events(entries)).toContain('TokenRevoked');
    expect(entries.some((e) => e.details.grantId === 'g-3')).toBe(false);
  });

  it('keeps, with since/until, what happened within the range, also to grants started before it', () => {
    const entries = selectGrants(LOG, { clientId: 'web' }, { since: Date.parse(at(100)), until: Date.parse(at(150)) });
    expect(entries.map((e) => [e.event, e.details.grantId])).toEqual([['TokenRefreshed', 'g-1'], ['TokenIssued', 'g-3']]);
    expect(selectGrants(LOG, { clientId: 'web' }, { since: Date.parse(at(200)) }).map((e) => e.event)).toEqual([
      'RefreshTokenReuseDetected',
      'TokenRevoked',
    ]);
  });
});

describe('liveAsOf', () => {
  const live = (seconds: number, party?: Parameters<typeof partyFilter>[0]) =>
    liveAsOf(LOG, T0 + seconds * 1000, party ? partyFilter(party) : undefined).map((t) => `${t.grantId} ${t.kind} ${t.token} ${t.scope}`);

  it('shows nothing before the first token', () => {
    expect(live(19)).toEqual([]);
  });

  it('shows a token from the moment it is issued, with its scope', () => {
    expect(live(20)).toEqual([`g-1 access ${shortHash(H.a1)} read write`, `g-1 refresh ${shortHash(H.r1)} read write`]);
  });

  it('ends a refresh token when it is rotated away, not the access tokens of its grant', () => {
    expect(live(150, { clientId: 'web' })).toEqual([
      `g-1 access ${shortHash(H.a1)} read write`,
      `g-1 access ${shortHash(H.a2)} read`,
      `g-1 refresh ${shortHash(H.r2)} read`,
      `g-3 access ${shortHash(H.a4)} read`,
    ]);
  });

  it('ends a token when it expires', () => {
    expect(live(59, { clientId: 'cli' })).toEqual([`g-2 access ${shortHash(H.a3)} read`]);
    expect(live(60, { clientId: 'cli' })).toEqual([]);
  });

  it('a grant revoked at T is live as of T−1 s and not as of T or T+1 s', () => {
    const g1 = (seconds: number) => live(seconds).filter((t) => t.startsWith('g-1'));
    expect(g1(199)).toHaveLength(3);
    expect(g1(200)).toEqual([]);
    expect(g1(201)).toEqual([]);
    expect(live(201, { clientId: 'web' })).toEqual([`g-3 access ${shortHash(H.a4)} read`]);
  });

  it('ends only the access token a single-token revocation names', () => {
    const log = [...LOG.slice(0, 8), rec('grant-g-1', event('TokenRevoked', { grantId: 'g-1', clientId: 'web', reason: 'revocation_request', tokenHash: H.a1 }), 120)];
    const tokens = liveAsOf(log, T0 + 130_000, partyFilter({ clientId: 'web' })).map((t) => t.token);
    expect(tokens).toEqual([shortHash(H.a2), shortHash(H.r2), shortHash(H.a4)]);
  });

  it("follows a user's grants across clients", () => {
    expect(live(25, { userId: 'u-alice' })).toEqual([
      `g-1 access ${shortHash(H.a1)} read write`,
      `g-1 refresh ${shortHash(H.r1)} read write`,
    ]);
    expect(live(30, { userId: 'u-alice' })).toContain(`g-2 access ${shortHash(H.a3)} read`);
  });
});

describe('audit times', () => {
  it('reads ISO 8601 dates and times; without an offset, UTC', () => {
    expect(parseAuditTime('2025-03-01')).toBe(Date.parse('2025-03-01T00:00:00Z'));
    expect(parseAuditTime('2025-03-01T12:30')).toBe(Date.parse('2025-03-01T12:30:00Z'));
    expect(parseAuditTime('2025-03-01T12:30:05.250Z')).toBe(Date.parse('2025-03-01T12:30:05.250Z'));
    expect(parseAuditTime('2025-03-01T12:30:05+02:00')).toBe(Date.parse('2025-03-01T10:30:05Z'));
    expect(parseAuditTime('2025-03-01T12:30:05-0530')).toBe(Date.parse('2025-03-01T18:00:05Z'));
  });

  it('rejects anything else with a message naming the option', () => {
    for (const bad of ['yesterday', '', '2025-02-30', '2025-13-01', '2025-03-01T25:00Z', '1700000000', '2025-03-01T12:00:00+2']) {
      expect(() => parseAuditTime(bad, '--since'), bad).toThrow(/--since: .* is not an ISO 8601 time/);
    }
    expect(() => parseRange('2025-03-02', '2025-03-01')).toThrow('since is after until');
  });
});

describe('human output', () => {
  it('prints one line per event: time, event, actor (by name), details, and no full hash', () => {
    const lines = formatEntries(grantHistory(LOG, 'g-1'), ['grantId']);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(
      `2025-03-01T10:00:10.000Z  CodeIssued                 client=web user=alice  redirectUri=https://web.example/cb scope="read write" pkce=true code=…${H.code1.slice(-8)} expiresAt=2025-03-01T10:10:10.000Z ip=203.0.113.7`,
    );
    // The consent's user id is the actor's: shown once, by name.
    expect(formatEntries(selectGrants(LOG, { clientId: 'web' })).find((l) => l.includes('ConsentGranted'))).toContain('client=web user=alice  scope="read write"');
    expect(lines[5]).toContain('TokenRevoked');
    expect(lines[5]).toContain('reason=refresh_token_reuse target=grant');
    expect(lines[5]).toContain('ip=198.51.100.9');
    expect(lines.join('\n')).not.toMatch(FULL_HASH);
    expect(lines.join('\n')).not.toContain('grantId=');
  });

  it('prints one line per live token', () => {
    const [line] = formatLiveTokens(liveAsOf(LOG, T0 + 25_000));
    expect(line).toBe(`access   ${shortHash(H.a1)}  grant=g-1  client=web  user=alice  scope="read write"  issuedAt=${at(20)}  expiresAt=${at(3620)}`);
  });
});
