import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionKey } from '../../src/http/session-key.js';

describe('sessionKey', () => {
  it('makes a key in a DATA_DIR that does not exist yet, readable by its owner only, and keeps it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'oauth2-key-')), 'not', 'yet');
    const key = sessionKey(undefined, dir);
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, 'session.key')).mode & 0o777).toBe(0o600);
    // The next process (a restart, another worker) reads the same key.
    expect(sessionKey(undefined, dir).equals(key)).toBe(true);
  });

  it('derives the key from SESSION_SECRET when it is set, the same on every replica', () => {
    const secret = 'x'.repeat(40);
    expect(sessionKey(secret, '/nonexistent').equals(sessionKey(secret, '/elsewhere'))).toBe(true);
  });
});
