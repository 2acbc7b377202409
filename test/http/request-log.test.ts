import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { REDACT } from '../../src/http/log-redaction.js';

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
  app.post('/logs-a-form', async (req) => {
    req.log.info({ form: req.body }, 'a form');
    return {};
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
  it('at info, logs one line per request, with the request id the response names', async () => {
    const { app, lines } = await loggingServer('info');
    const res = await app.inject({ url: '/.well-known/oauth-authorization-server?x=1' });
    const id = res.headers['x-request-id'];
    expect(id).toBeTruthy();
    const mine = lines.filter((l) => l.reqId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: '/.well-known/oauth-authorization-server?x=1', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
    });
    expect(mine[0]!.responseTime).toBeTypeOf('number');
  });

  it('hides a credential a client puts in the query, at info and at debug', async () => {
    const { app, lines } = await loggingServer('debug');
    const res = await app.inject({ url: '/api/v1/me?access_token=AT-SECRET&x=1&Code=C-SECRET&client_secret=CS-SECRET' });
    expect(res.statusCode).toBe(401);
    const mine = lines.filter((l) => l.reqId === res.headers['x-request-id']);
    expect(mine).toHaveLength(2);
    for (const line of mine) {
      expect((line.req as { url: string }).url).toBe('/api/v1/me?access_token=[redacted]&x=1&Code=[redacted]&client_secret=[redacted]');
    }
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  it('at debug, also logs the request as it comes in', async () => {
    const { app, lines } = await loggingServer('debug');
    const res = await app.inject({ method: 'POST', url: '/api/v1/tokens/', payload: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const mine = lines.filter((l) => l.reqId === res.headers['x-request-id']);
    expect(mine.map((l) => [l.level, l.msg])).toEqual([
      [20, 'incoming request'],
      [30, 'request completed'],
    ]);
    expect(mine[0]).toMatchObject({ req: { method: 'POST', url: '/api/v1/tokens/', host: 'localhost:80', remoteAddress: '127.0.0.1' } });
    expect(mine[1]).toMatchObject({ res: { statusCode: 401 } });
  });

  it('writes no header or body into the request lines, and still redacts what a handler logs', async () => {
    const { app, lines } = await loggingServer('info');
    const res = await app.inject({
      method: 'POST',
      url: '/logs-a-form',
      headers: { authorization: 'Basic dGVzdGNsaWVudDp0ZXN0cGFzc3dvcmQ=', cookie: 'session=s3cret' },
      payload: { password: 'hunter2', client_secret: 'sekrit' },
    });
    expect(res.statusCode).toBe(200);
    const mine = lines.filter((l) => l.reqId === res.headers['x-request-id']);
    expect(mine.map((l) => l.msg)).toEqual(['a form', 'request completed']);
    const text = JSON.stringify(mine);
    for (const secret of ['dGVzdGNsaWVudDp0ZXN0cGFzc3dvcmQ=', 's3cret', 'hunter2', 'sekrit']) expect(text).not.toContain(secret);
    expect(mine[0]!.form).toEqual({ password: '[redacted]', client_secret: '[redacted]' });
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
