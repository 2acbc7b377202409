import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The 32-byte key that encrypts and authenticates the session cookie. SESSION_SECRET gives the
 * same key to every API replica; without it a random key is kept in DATA_DIR (mode 0600), so
 * sessions survive a restart of a single server.
 */
export function sessionKey(secret: string | undefined, dataDir: string): Buffer {
  if (secret !== undefined) return createHash('sha256').update(secret).digest();
  const file = join(dataDir, 'session.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length === 32) return key;
  } catch {
    // No key yet: make one below.
  }
  const key = randomBytes(32);
  // DATA_DIR may not exist yet: with both stores on servers, nothing else creates it.
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, key.toString('hex'), { mode: 0o600 });
  return key;
}
