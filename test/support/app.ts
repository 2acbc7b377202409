import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FIXTURES } from '../../src/commands/fixtures.js';
import { openRuntime, type Runtime } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { testStoreEnv } from './stores.js';

export interface TestServer {
  app: FastifyInstance;
  runtime: Runtime;
  dataDir: string;
  /** POST a form to the token endpoint, authenticating as testclient with HTTP Basic. */
  token(form: Record<string, string>, auth?: string | null): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const BASIC = `Basic ${Buffer.from('testclient:testpassword').toString('base64')}`;

export function form(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) params.append(k, one);
  return params.toString();
}

/** POST a form to `app`'s token endpoint, with `auth` as its Authorization header (none if null). */
export function postToken(app: FastifyInstance, fields: Record<string, string>, auth: string | null = BASIC): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/api/v1/tokens/',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    payload: form(fields),
  });
}

/** A server on a fresh embedded store with the seed fixtures loaded. */
export async function startTestServer(
  env: Record<string, string> = {},
  { fixtures = true, extend }: { fixtures?: boolean; extend?: (app: FastifyInstance, runtime: Runtime) => void } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oauth2-http-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...testStoreEnv(), ...env });
  const runtime = await openRuntime(config, pino({ level: 'silent' }));
  if (fixtures) {
    await FIXTURES.test_credentials(runtime.ctx, {});
    await FIXTURES.test_scopes(runtime.ctx, {});
  }
  const app = buildApp(runtime);
  extend?.(app, runtime);
  await app.ready();
  return {
    app,
    runtime,
    dataDir,
    token: (fields, auth = BASIC) => postToken(app, fields, auth),
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}
