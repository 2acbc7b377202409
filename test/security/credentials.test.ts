import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/app.js';
import { InjectBrowser } from '../support/browser.js';

/**
 * Unknown user and wrong password (and unknown client and wrong secret) must be told apart
 * neither by the answer nor by the work done: each costs exactly one scrypt verification
 * (a decoy hash stands in for the missing one), and each answers the same body.
 */
const scrypt = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../src/security/secret-hash.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/security/secret-hash.js')>();
  return {
    ...actual,
    verifySecret: (secret: string, stored: string) => {
      scrypt.calls += 1;
      return actual.verifySecret(secret, stored);
    },
  };
});

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  // Warm the client-secret cache so that only the user's password is verified below.
  await s.token({ grant_type: 'client_credentials' });
});
afterAll(() => s.close());

async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; verifications: number }> {
  const before = scrypt.calls;
  const result = await fn();
  return { result, verifications: scrypt.calls - before };
}

describe('unknown user and wrong password look the same', () => {
  it('at the password grant: same status, same body, one scrypt verification each', async () => {
    const wrong = await counted(() => s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'nope' }));
    const unknown = await counted(() => s.token({ grant_type: 'password', username: 'nobody@example.com', password: 'nope' }));
    expect(wrong.result.statusCode).toBe(400);
    expect(unknown.result.statusCode).toBe(wrong.result.statusCode);
    expect(unknown.result.body).toBe(wrong.result.body);
    expect(wrong.verifications).toBe(1);
    expect(unknown.verifications).toBe(1);
  });

  it('at the sign-in form: same status and page (but for the name typed and the CSRF token)', async () => {
    const url = '/web/authorize/?response_type=code&client_id=testclient&redirect_uri=https://www.example.com&state=s';
    const attempt = async (username: string) => {
      const browser = new InjectBrowser(s.app);
      const page = await browser.get(url);
      return counted(() => browser.submit(page, '/web/login', { username, password: 'nope' }));
    };
    const normalise = (html: string, username: string) =>
      html.replaceAll(username, 'NAME').replace(/name="_csrf" value="[^"]*"/g, '').replace(/[0-9a-f-]{36}/g, 'ID');
    const wrong = await attempt('testuser@example.com');
    const unknown = await attempt('nobody@example.com');
    expect(wrong.result.statusCode).toBe(401);
    expect(unknown.result.statusCode).toBe(401);
    expect(normalise(unknown.result.body, 'nobody@example.com')).toBe(normalise(wrong.result.body, 'testuser@example.com'));
    expect(wrong.verifications).toBe(1);
    expect(unknown.verifications).toBe(1);
  });
});

describe('unknown client and wrong client secret look the same', () => {
  it('same 401 invalid_client body, one scrypt verification each', async () => {
    const auth = (id: string) => `Basic ${Buffer.from(`${id}:wrong-secret`).toString('base64')}`;
    const wrong = await counted(() => s.token({ grant_type: 'client_credentials' }, auth('testclient')));
    const unknown = await counted(() => s.token({ grant_type: 'client_credentials' }, auth('no-such-client')));
    expect(wrong.result.statusCode).toBe(401);
    expect(unknown.result.statusCode).toBe(401);
    expect(unknown.result.body).toBe(wrong.result.body);
    expect(unknown.result.headers['www-authenticate']).toBe(wrong.result.headers['www-authenticate']);
    expect(wrong.verifications).toBe(1);
    expect(unknown.verifications).toBe(1);
  });
});
