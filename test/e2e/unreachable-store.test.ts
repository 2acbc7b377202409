import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, oauth2 } from '../support/process.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'oauth2-unreachable-'));

describe('a store that cannot be reached at start', () => {
  it('is retried with a log line per attempt, then the server exits 1 naming the URL, password masked', async () => {
    const port = await freePort();
    const url = `mongodb://reader:s3cretpw@127.0.0.1:${port}/oauth2`;
    const res = await oauth2(['serve'], { DATA_DIR: dataDir(), MONGODB_URL: url, STORE_CONNECT_ATTEMPTS: '2', LOG_LEVEL: 'info' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot reach MongoDB at mongodb://reader:***@127.0.0.1:${port}/oauth2 after 2 attempts`);
    expect(res.stdout).toContain('MongoDB not reachable yet; retrying');
    expect(res.stdout + res.stderr).not.toContain('s3cretpw');
  }, 60_000);

  it('does the same for EventStoreDB', async () => {
    const port = await freePort();
    const url = `esdb://admin:changeit@127.0.0.1:${port}?tls=false`;
    const res = await oauth2(['projector'], { DATA_DIR: dataDir(), EVENTSTORE_URL: url, STORE_CONNECT_ATTEMPTS: '2', LOG_LEVEL: 'info' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot reach EventStoreDB at esdb://admin:***@127.0.0.1:${port}`);
    expect(res.stdout + res.stderr).not.toContain('changeit');
  }, 60_000);
});
