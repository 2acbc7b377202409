import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/app.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

const metric = (text: string, line: string) => {
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length).trim()) : 0;
};

describe('/metrics', () => {
  it('counts tokens by grant type, errors by code, append latency, and projection lag', async () => {
    await s.token({ grant_type: 'client_credentials' });
    await s.token({ grant_type: 'client_credentials' });
    await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'testpassword' });
    await s.token({ grant_type: 'password', username: 'testuser@example.com', password: 'wrong' });
    await s.token({ grant_type: 'nope' });
    await s.app.inject({ url: '/web/authorize/?client_id=testclient&response_type=bogus' });
    const res = await s.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(metric(text, 'oauth2_tokens_issued_total{grant_type="client_credentials"}')).toBe(2);
    expect(metric(text, 'oauth2_tokens_issued_total{grant_type="password"}')).toBe(1);
    expect(metric(text, 'oauth2_errors_total{error="invalid_grant"}')).toBe(1);
    expect(metric(text, 'oauth2_errors_total{error="unsupported_grant_type"}')).toBe(1);
    expect(metric(text, 'oauth2_errors_total{error="unsupported_response_type"}')).toBe(1);
    // Fixtures and three grants were appended.
    expect(metric(text, 'oauth2_event_append_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(metric(text, 'oauth2_projection_lag_seconds')).toBe(0);
  });
});
