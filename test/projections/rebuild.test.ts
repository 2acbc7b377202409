import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTORS } from '../../src/projections/all.js';
import { projectEvents } from '../../src/projections/project-events.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { PROJECTION_NAMES } from '../../src/store/read-store.js';
import { BASIC, form, startTestServer, type TestServer } from '../support/app.js';
import { checkboxValues, InjectBrowser, redirectParams } from '../support/browser.js';

let s: TestServer;
let shortLived: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  shortLived = await startTestServer({ ACCESS_TOKEN_LIFETIME: '2' });
});
afterAll(async () => {
  await s.close();
  await shortLived.close();
});

const password = async () =>
  (await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' })).json();
const me = async (token: string) =>
  (await s.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;
const revoke = (token: string) =>
  s.app.inject({
    method: 'POST',
    url: '/api/v1/revoke',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ token }),
  });

async function dumpAll() {
  const out: Record<string, unknown[]> = {};
  for (const p of PROJECTION_NAMES) out[p] = await s.runtime.reads.dump(p);
  return out;
}

async function codeFlowTokens() {
  const browser = new InjectBrowser(s.app);
  const url = '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com&state=x';
  const login = await browser.get(url);
  await browser.submit(login, '/web/login', { username: 'testuser@example.com', password: 'testpassword' });
  const issueCode = async () => {
    const page = await browser.get(url);
    // A remembered consent answers with the redirect at once.
    const res = page.statusCode === 200
      ? await browser.submit(page, '/web/authorize/', { decision: 'allow', allow_scope: checkboxValues(page.body, 'allow_scope') })
      : page;
    return redirectParams(res).query.get('code')!;
  };
  const code = await issueCode();
  // An issued, unredeemed code stays in the codes read model.
  await issueCode();
  return (await s.token({ grant_type: 'authorization_code', code, redirect_uri: 'https://www.example.com' })).json();
}

describe('projection rebuild', () => {
  it('yields read models equal, row for row, to the ones live projection built', async () => {
    const saved = s;
    s = shortLived;
    try {
    const expired = await password();
    await new Promise((r) => setTimeout(r, 2100));
    const refreshed = await password();
    await s.token({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token });
    const revoked = await password();
    await revoke(revoked.refresh_token);
    const single = (await s.token({ grant_type: 'client_credentials' })).json();
    await revoke(single.access_token);
    await codeFlowTokens();
    // Tokens here live 2 s: issue the active one last, just before it is checked.
    const active = await password();
    expect(await me(active.access_token)).toBe(200);
    expect(await me(expired.access_token)).toBe(401);

    const live = await dumpAll();
    expect(live.tokens!.length).toBeGreaterThan(5);
    expect(live.codes!.length).toBe(1);
    for (const projector of PROJECTORS) {
      await rebuildProjection(s.runtime.events, s.runtime.reads, projector, { retireAfterMs: 0 });
    }
    const gens = await s.runtime.reads.generations();
    expect(gens.every((g) => g.status === 'active' && g.generation === 2)).toBe(true);
    expect(await dumpAll()).toEqual(live);
    // Served from the new generation (tokens here live 2 s, so ask with a fresh one).
    expect(await me((await password()).access_token)).toBe(200);
    expect(await me(revoked.access_token)).toBe(401);
    } finally {
      s = saved;
    }
  });

  it('loses nothing to concurrent token traffic', async () => {
    const issued: string[] = [];
    // With MongoDB read models the projections run on a subscription: if they stop, every grant
    // answers 500 from then on, and the error that stopped them is what a failure should show.
    const stopped: unknown[] = [];
    s.runtime.runner?.onFailure((error) => stopped.push(error));
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const res = await s.token({ grant_type: 'client_credentials', scope: 'foo' });
        expect(res.statusCode, stopped.length > 0 ? `projections stopped: ${String(stopped[0])}` : res.body).toBe(200);
        const token = res.json().access_token as string;
        // Usable the moment the response is sent, before, during and after the switch.
        expect(await me(token)).toBe(200);
        issued.push(token);
      }
    })();
    const tokens = PROJECTORS.find((p) => p.name === 'tokens')!;
    await new Promise((r) => setTimeout(r, 300));
    await rebuildProjection(s.runtime.events, s.runtime.reads, tokens, { retireAfterMs: 600 });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await traffic;
    expect(issued.length).toBeGreaterThan(3);
    for (const token of issued) expect(await me(token)).toBe(200);
    // And the live model still equals a replay of the whole log.
    const all = await s.runtime.events.readAll(null, 100_000);
    const replay = projectEvents(tokens, all).flatMap((e) => e.ops).filter((op) => op.op === 'putToken').length;
    expect(replay).toBeGreaterThanOrEqual(issued.length);
  });

  it('leaves the live models serving when interrupted, and a rerun starts clean', async () => {
    const before = await password();
    const clients = PROJECTORS.find((p) => p.name === 'clients')!;
    const half = await s.runtime.reads.createGeneration('clients');
    const page = await s.runtime.events.readAll(null, 3);
    await s.runtime.reads.commitTo('clients', half, projectEvents(clients, page), page.at(-1)!.position);
    // "Interrupted" here: nothing more happens to the building generation.
    expect((await s.token({ grant_type: 'client_credentials' })).statusCode).toBe(200);
    expect(await me(before.access_token)).toBe(200);
    const live = await s.runtime.reads.dump('clients');
    const result = await rebuildProjection(s.runtime.events, s.runtime.reads, clients, { retireAfterMs: 0 });
    expect(result.generation).toBeGreaterThan(half);
    const gens = (await s.runtime.reads.generations()).filter((g) => g.projection === 'clients');
    expect(gens.map((g) => [g.generation, g.status])).toEqual([[result.generation, 'active']]);
    expect(await s.runtime.reads.dump('clients')).toEqual(live);
  });
});
