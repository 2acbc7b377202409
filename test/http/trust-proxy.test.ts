import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { form, startTestServer, type TestServer } from '../support/app.js';

// THROTTLE_IP_FAILURES=2: the second failed sign-in from one client address blocks that address.
let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});
const signIn = (server: TestServer, password: string, { peer, forwarded }: { peer: string; forwarded?: string }) =>
  server.app.inject({
    method: 'POST',
    url: '/api/v1/tokens/',
    remoteAddress: peer,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`,
      ...(forwarded ? { 'x-forwarded-for': forwarded } : {}),
    },
    payload: form({ grant_type: 'password', username: 'testuser@example.com', password }),
  });
const lastIp = async (server: TestServer) => (await server.runtime.events.readAll(null, 10_000)).at(-1)?.metadata.ip;
const throttled = { THROTTLE_IP_FAILURES: '2', THROTTLE_USER_FAILURES: '0' };

describe('TRUST_PROXY', () => {
  it('unset: X-Forwarded-For is ignored, so a caller cannot pick the address it is throttled and audited by', async () => {
    s = await startTestServer(throttled);
    expect((await signIn(s, 'wrong', { peer: '198.51.100.1', forwarded: '203.0.113.1' })).statusCode).toBe(400);
    expect((await signIn(s, 'wrong', { peer: '198.51.100.1', forwarded: '203.0.113.2' })).statusCode).toBe(400);
    expect((await signIn(s, 'testpassword', { peer: '198.51.100.1', forwarded: '203.0.113.3' })).statusCode).toBe(429);
    expect((await signIn(s, 'testpassword', { peer: '198.51.100.2', forwarded: '203.0.113.1' })).statusCode).toBe(200);
    expect(await lastIp(s)).toBe('198.51.100.2');
  });

  it('from a trusted proxy: the forwarded address is the client, throttled and audited as such', async () => {
    s = await startTestServer({ ...throttled, TRUST_PROXY: '10.0.0.0/8, loopback' });
    const viaProxy = (password: string, client: string) => signIn(s!, password, { peer: '10.1.2.3', forwarded: client });
    expect((await viaProxy('wrong', '203.0.113.7')).statusCode).toBe(400);
    expect((await viaProxy('wrong', '203.0.113.7')).statusCode).toBe(400);
    expect((await viaProxy('testpassword', '203.0.113.7')).statusCode).toBe(429);
    // Another client behind the same proxy keeps its own budget.
    expect((await viaProxy('testpassword', '203.0.113.8')).statusCode).toBe(200);
    expect(await lastIp(s)).toBe('203.0.113.8');
  });

  it('from anyone else: the header is ignored even when TRUST_PROXY is set', async () => {
    s = await startTestServer({ TRUST_PROXY: '10.0.0.1' });
    expect((await signIn(s, 'testpassword', { peer: '198.51.100.9', forwarded: '203.0.113.7' })).statusCode).toBe(200);
    expect(await lastIp(s)).toBe('198.51.100.9');
  });

  it('refuses a value that is not a list of addresses, ranges or known names, naming it', () => {
    for (const bad of ['true', '10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/1', ' , ']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, ::1, fd00::/8, uniquelocal' }).TRUST_PROXY).toEqual(['127.0.0.1', '::1', 'fd00::/8', 'uniquelocal']);
  });
});
