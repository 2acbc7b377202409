import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../support/stores.js';
import { CLI } from '../support/process.js';

let taken: Server;
let port: number;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

const serve = (env: Record<string, string>) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [CLI, 'serve'], {
      env: childEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-port-')), HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent', ...env }),
      timeout: 20_000,
    }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
  });

describe('serve on a port another process holds', () => {
  for (const workers of ['1', '2']) {
    it(`exits 1 naming the address, without a stack trace (WORKERS=${workers})`, async () => {
      const { code, stderr } = await serve({ WORKERS: workers });
      expect(code).toBe(1);
      expect(stderr).toContain(`oauth2: cannot listen on 127.0.0.1:${port}: the address is in use`);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }
});
