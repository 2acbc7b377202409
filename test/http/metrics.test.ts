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

describe('/metrics on the embedded event log', () => {
  const counts = async () => {
    const text = (await s.app.inject({ url: '/metrics' })).body;
    return {
      appends: metric(text, 'oauth2_event_append_seconds_count'),
      commits: metric(text, 'oauth2_event_log_commits_total'),
      syncs: metric(text, 'oauth2_event_log_syncs_total'),
    };
  };

  it('counts one commit and one sync per append made alone', async () => {
    const before = await counts();
    for (let i = 0; i < 3; i++) expect((await s.token({ grant_type: 'client_credentials' })).statusCode).toBe(200);
    const after = await counts();
    expect(after.appends - before.appends).toBe(3);
    expect(after.commits - before.commits).toBe(3);
    expect(after.syncs - before.syncs).toBe(3);
  });

  it('counts fewer commits than appends when concurrent appends are committed together', async () => {
    const before = await counts();
    const answers = await Promise.all(Array.from({ length: 16 }, () => s.token({ grant_type: 'client_credentials' })));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(16).fill(200));
    const after = await counts();
    expect(after.appends - before.appends).toBe(16);
    expect(after.commits - before.commits).toBeGreaterThanOrEqual(1);
    expect(after.commits - before.commits).toBeLessThan(16);
    expect(after.syncs - before.syncs).toBeLessThanOrEqual(after.commits - before.commits);
  });
});
