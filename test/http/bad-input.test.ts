import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC, startTestServer, type TestServer } from '../support/app.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

const post = (payload: string | Buffer, contentType?: string, url = '/api/v1/tokens/') =>
  s.app.inject({
    method: 'POST',
    url,
    headers: { authorization: BASIC, ...(contentType ? { 'content-type': contentType } : {}) },
    payload,
  });

const FORM = 'application/x-www-form-urlencoded';

describe('bad input at the token endpoint: a 4xx in the RFC format, never a 500', () => {
  const cases: Array<[string, string | Buffer, string | undefined, number, string]> = [
    ['invalid JSON', '{"grant_type":', 'application/json', 400, 'invalid_request'],
    ['valid JSON (not a form)', '{"grant_type":"client_credentials"}', 'application/json', 400, 'invalid_request'],
    ['a text/plain body', 'grant_type=client_credentials', 'text/plain', 400, 'invalid_request'],
    ['an unsupported content type', '<grant_type/>', 'application/xml', 415, 'invalid_request'],
    ['an oversized body', `grant_type=client_credentials&x=${'a'.repeat(20_000)}`, FORM, 413, 'invalid_request'],
    ['a repeated parameter', 'grant_type=client_credentials&scope=foo&scope=bar', FORM, 400, 'invalid_request'],
    ['broken percent-encoding', 'grant_type=client_credentials&scope=%zz', FORM, 400, 'invalid_request'],
    ['a truncated escape', 'grant_type=client_credentials&scope=%4', FORM, 400, 'invalid_request'],
    ['invalid UTF-8', 'grant_type=client_credentials&scope=%FF%FE', FORM, 400, 'invalid_request'],
    ['no grant_type', 'scope=foo', FORM, 400, 'invalid_request'],
    ['an empty body', '', FORM, 400, 'invalid_request'],
    ['an unknown grant_type', 'grant_type=urn:x', FORM, 400, 'unsupported_grant_type'],
    ['the implicit grant at the token endpoint', 'grant_type=implicit', FORM, 400, 'unsupported_grant_type'],
    ['a scope with a forbidden character', 'grant_type=client_credentials&scope=foo%22', FORM, 400, 'invalid_scope'],
  ];
  for (const [what, payload, type, status, error] of cases) {
    it(`answers ${status} ${error} for ${what}`, async () => {
      const res = await post(payload, type);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/json');
      expect(res.json()).toEqual({ error, error_description: expect.any(String) });
      expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
    });
  }

  it('answers a POST without a body with invalid_request', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/api/v1/tokens/', headers: { authorization: BASIC } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });

  it('answers an unknown API path with a JSON 404', async () => {
    const res = await s.app.inject({ url: '/api/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('invalid_request');
  });

  it('records nothing for a rejected request', async () => {
    const before = await s.runtime.events.headPosition();
    for (const [, payload, type] of cases) await post(payload, type);
    await post('grant_type=password&username=testuser@example.com&password=wrong', FORM);
    expect(await s.runtime.events.headPosition()).toEqual(before);
  });
});
