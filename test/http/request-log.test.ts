import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { buildApp, REDACT } from '../../src/http/app.js';

/** A server whose log lines are collected, parsed, at `level`; it has a route that fails. */
async function loggingServer(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, sink);
  const runtime = await openRuntime(loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'oauth2-log-')) }), log);
  const app = buildApp(runtime, log);
  app.get('/broken', async () => {
    throw new Error('a bug');
  });
  await app.ready();
  opened.push({ app, runtime });
  return { app, lines };
}

const opened: Array<{ app: Awaited<ReturnType<typeof buildApp>>; runtime: Runtime }> = [];
afterEach(async () => {
  for (const { app, runtime } of opened.splice(0)) {
    await app.close();
    await runtime.close();
  }
});

describe('request logs', () => {
  it('at info, logs each request and its completion with the request id the response names', async () => {
    const { app, lines } = await loggingServer('info');
    const res = await app.inject({ url: '/.well-known/oauth-authorization-server' });
    const id = res.headers['x-request-id'];
    expect(id).toBeTruthy();
    const mine = lines.filter((l) => l.reqId === id).map((l) => l.msg);
    expect(mine).toEqual(['incoming request', 'request completed']);
  });

  it('at warn, logs nothing for a request that went well, and a failure with its request id', async () => {
    const { app, lines } = await loggingServer('warn');
    await app.inject({ url: '/.well-known/oauth-authorization-server' });
    expect(lines).toEqual([]);
    const res = await app.inject({ url: '/broken' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('a bug');
    const failed = lines.find((l) => l.msg === 'request failed');
    expect(failed).toMatchObject({ level: 50, reqId: res.headers['x-request-id'] });
    expect((failed!.err as { message: string }).message).toBe('a bug');
  });
});
