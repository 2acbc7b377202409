import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineScope } from '../../src/commands/define-scope.js';
import { registerClient } from '../../src/commands/register-client.js';
import { tokenDigest } from '../../src/security/tokens.js';
import { startTestServer, type TestServer } from '../support/app.js';
import { checkboxValues, InjectBrowser, redirectParams } from '../support/browser.js';
import type { AuditEntry } from '../../src/audit/entry.js';

let s: TestServer;
const AUDITOR = `Basic ${Buffer.from('auditor:auditor-secret').toString('base64')}`;
const SEED_URL = '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com&state=s1';
const FULL_HASH = /[0-9a-f]{64}/;

/** What the flow below did, as the client saw it. */
let flow: {
  grantId: string;
  code: string;
  tokens: { access_token: string; refresh_token: string };
  refreshed: { access_token: string; refresh_token: string };
  requestIds: { exchange: string; refresh: string; revoke: string };
};
let auditToken: string;

beforeAll(async () => {
  s = await startTestServer();
  await defineScope(s.runtime.ctx, { name: 'audit', description: 'Read the audit log', isDefault: false }, {});
  await registerClient(
    s.runtime.ctx,
    { clientId: 'auditor', name: 'Auditor', secret: 'auditor-secret', redirectUris: [], grantTypes: ['client_credentials'], allowedScopes: ['audit'], resourceServer: false },
    {},
  );

  // A code flow as a person would walk it, a refresh, then the client revokes its refresh token.
  const browser = new InjectBrowser(s.app);
  const login = await browser.get(SEED_URL);
  const afterLogin = await browser.submit(login, '/web/login', { username: 'testuser@example.com', password: 'testpassword' });
  const consent = await browser.get(afterLogin.headers.location as string);
  const allowed = await browser.submit(consent, '/web/authorize/', { decision: 'allow', allow_scope: checkboxValues(consent.body, 'allow_scope') });
  const code = redirectParams(allowed).query.get('code')!;
  const exchange = await s.token({ grant_type: 'authorization_code', code, redirect_uri: 'https://www.example.com' });
  expect(exchange.statusCode).toBe(200);
  const tokens = exchange.json();
  const refresh = await s.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'foo' });
  expect(refresh.statusCode).toBe(200);
  const refreshed = refresh.json();
  const revoke = await s.app.inject({
    method: 'POST',
    url: '/api/v1/revoke',
    headers: { authorization: `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'revoker/1.0' },
    payload: `token=${refreshed.refresh_token}`,
  });
  expect(revoke.statusCode).toBe(200);

  // The grant id, read from the log the way a reviewer with the token in hand would find it.
  const accessHash = tokenDigest(tokens.access_token);
  const issued = (await s.runtime.events.readAll(null, 10_000)).find(
    (r) => r.type === 'TokenIssued' && (r.data as { accessTokenHash: string }).accessTokenHash === accessHash,
  )!;
  flow = {
    grantId: (issued.data as { grantId: string }).grantId,
    code,
    tokens,
    refreshed,
    requestIds: {
      exchange: exchange.headers['x-request-id'] as string,
      refresh: refresh.headers['x-request-id'] as string,
      revoke: revoke.headers['x-request-id'] as string,
    },
  };
  const cc = await s.token({ grant_type: 'client_credentials', scope: 'audit' }, AUDITOR);
  expect(cc.json().scope).toBe('audit');
  auditToken = cc.json().access_token;
});
afterAll(() => s.close());

const get = (url: string, token: string | null = auditToken) =>
  s.app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });


describe('GET /api/v1/audit/grants/:id', () => {
  it('answers 401 with a Bearer challenge without a token', async () => {
    const res = await get(`/api/v1/audit/grants/${flow.grantId}`, null);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="oauth2"/);
  });

  it('answers 403 insufficient_scope for a token without the audit scope', async () => {
    const plain = (await s.token({ grant_type: 'client_credentials' })).json();
    expect(plain.scope).not.toContain('audit');
    const res = await get(`/api/v1/audit/grants/${flow.grantId}`, plain.access_token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('insufficient_scope');
    // Not even the user's own access token will do.
    expect((await get(`/api/v1/audit/grants/${flow.grantId}`, flow.refreshed.access_token)).statusCode).toBe(401);
  });

  it('gives the whole life of the grant, in order, with who did what', async () => {
    const res = await get(`/api/v1/audit/grants/${flow.grantId}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as { grantId: string; events: AuditEntry[] };
    expect(body.grantId).toBe(flow.grantId);
    expect(body.events.map((e) => e.event)).toEqual(['CodeIssued', 'CodeRedeemed', 'TokenIssued', 'TokenRefreshed', 'TokenRevoked']);
    const [issuedCode, , issued, refreshed, revoked] = body.events;
    expect(issuedCode!.details).toMatchObject({
      clientId: 'testclient',
      username: 'testuser@example.com',
      redirectUri: 'https://www.example.com',
      scope: 'bar foo qux',
      pkce: false,
      code: `…${tokenDigest(flow.code).slice(-8)}`,
    });
    expect(issued!.details).toMatchObject({ grantType: 'authorization_code', scope: 'bar foo qux', accessToken: `…${tokenDigest(flow.tokens.access_token).slice(-8)}` });
    expect(Date.parse(issued!.details.accessExpiresAt as string) - Date.parse(issued!.time)).toBeGreaterThan(3_590_000);
    expect(refreshed!.details).toMatchObject({ grantType: 'refresh_token', scope: 'foo', previousRefreshToken: `…${tokenDigest(flow.tokens.refresh_token).slice(-8)}` });
    expect(revoked!.details).toMatchObject({ reason: 'revocation_request', target: 'grant' });
    expect(revoked!.actor).toEqual({ clientId: 'testclient' });
    const times = body.events.map((e) => Date.parse(e.time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('carries the request context of each event: ip, user agent, request id', async () => {
    const { events } = (await get(`/api/v1/audit/grants/${flow.grantId}`)).json() as { events: AuditEntry[] };
    for (const e of events) {
      expect(e.ip, e.event).toBe('127.0.0.1');
      expect(e.userAgent, e.event).toBeTruthy();
      expect(e.requestId, e.event).toMatch(/^[0-9a-f-]{36}$/);
    }
    const byEvent = Object.fromEntries(events.map((e) => [e.event, e]));
    expect(byEvent.TokenIssued!.requestId).toBe(flow.requestIds.exchange);
    expect(byEvent.TokenRefreshed!.requestId).toBe(flow.requestIds.refresh);
    expect(byEvent.TokenRevoked!.requestId).toBe(flow.requestIds.revoke);
    expect(byEvent.TokenRevoked!.userAgent).toBe('revoker/1.0');
  });

  it('never shows a token, a code or a full hash', async () => {
    const body = (await get(`/api/v1/audit/grants/${flow.grantId}`)).body;
    for (const secret of [flow.code, flow.tokens.access_token, flow.tokens.refresh_token, flow.refreshed.access_token, flow.refreshed.refresh_token]) {
      expect(body).not.toContain(secret);
    }
    expect(body).not.toMatch(FULL_HASH);
  });

  it('answers 404 for an unknown grant', async () => {
    const res = await get('/api/v1/audit/grants/00000000-0000-4000-8000-000000000000');
    expect(res.statusCode).toBe(404);
    expect(res.json().error_description).toBe('no such grant');
  });
});

describe('GET /api/v1/audit/clients/:id', () => {
  it("lists the events of every grant of the client, the auditor's own too", async () => {
    const res = await get('/api/v1/audit/clients/testclient');
    expect(res.statusCode).toBe(200);
    const { clientId, events } = res.json() as { clientId: string; events: AuditEntry[] };
    expect(clientId).toBe('testclient');
    expect(events.filter((e) => e.details.grantId === flow.grantId)).toHaveLength(5);
    expect(events.every((e) => e.details.clientId === 'testclient')).toBe(true);
    const auditor = (await get('/api/v1/audit/clients/auditor')).json() as { events: AuditEntry[] };
    expect(auditor.events.map((e) => [e.event, e.details.grantType, e.details.scope])).toEqual([['TokenIssued', 'client_credentials', 'audit']]);
  });

  it('filters with since and until', async () => {
    const { events } = (await get(`/api/v1/audit/grants/${flow.grantId}`)).json() as { events: AuditEntry[] };
    const refreshedAt = events.find((e) => e.event === 'TokenRefreshed')!.time;
    const res = await get(`/api/v1/audit/clients/testclient?since=${refreshedAt}`);
    const after = (res.json() as { since: string; events: AuditEntry[] });
    expect(after.since).toBe(refreshedAt);
    expect(after.events.some((e) => e.event === 'CodeIssued')).toBe(false);
    expect(after.events.filter((e) => e.details.grantId === flow.grantId).map((e) => e.event)).toEqual(['TokenRefreshed', 'TokenRevoked']);
    const before = (await get(`/api/v1/audit/clients/testclient?until=${events[0]!.time}`)).json() as { events: AuditEntry[] };
    expect(before.events.filter((e) => e.details.grantId === flow.grantId).map((e) => e.event)).toEqual(['CodeIssued']);
  });

  it('answers the live tokens with as_of', async () => {
    const { events } = (await get(`/api/v1/audit/grants/${flow.grantId}`)).json() as { events: AuditEntry[] };
    const revokedAt = Date.parse(events.at(-1)!.time);
    const live = async (ms: number) =>
      ((await get(`/api/v1/audit/clients/testclient?as_of=${new Date(ms).toISOString()}`)).json() as { liveTokens: { grantId: string; kind: string; scope: string }[] }).liveTokens.filter(
        (t) => t.grantId === flow.grantId,
      );
    expect((await live(revokedAt - 1)).map((t) => `${t.kind} ${t.scope}`)).toEqual(['access bar foo qux', 'access foo', 'refresh foo']);
    expect(await live(revokedAt)).toEqual([]);
  });

  it('rejects a bad time with 400 invalid_request, and answers 404 for an unknown client', async () => {
    const bad = await get('/api/v1/audit/clients/testclient?since=last-tuesday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('since') });
    expect((await get('/api/v1/audit/clients/testclient?as_of=2025-01-01&since=2024-01-01')).statusCode).toBe(400);
    expect((await get('/api/v1/audit/clients/nobody')).statusCode).toBe(404);
    expect((await get('/api/v1/audit/clients/nobody', null)).statusCode).toBe(401);
  });

  it('is described in /openapi.json under the audit tag', async () => {
    const doc = (await s.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    expect(doc.paths['/api/v1/audit/grants/{id}']?.get?.tags).toEqual(['audit']);
    expect(doc.paths['/api/v1/audit/clients/{id}']?.get?.tags).toEqual(['audit']);
  });
});
