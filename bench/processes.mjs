// Child processes for the benchmark: our server (from dist), the baselines, the CLI; and their RSS.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const run = promisify(execFile);

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The parent's environment without store URLs: a child gets only the stores the benchmark names. */
export function childEnv(env = {}) {
  const { MONGODB_URL: _m, EVENTSTORE_URL: _e, ...rest } = process.env;
  return { ...rest, ...env };
}

/** Runs `oauth2 <args>` to completion; throws with its output on a non-zero exit. */
export async function oauth2(args, env) {
  try {
    return await run(process.execPath, [CLI, ...args], { env: childEnv(env), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`oauth2 ${args.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  }
}

/** Starts `node [nodeArgs] script [args]` and waits until GET `readyPath` answers 200. */
async function startProcess({ name, script, args = [], nodeArgs = [], env, port, readyPath, timeoutMs = 120_000 }) {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: childEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer ${readyPath} within ${timeoutMs / 1000} s:\n${output}`);
    }
    try {
      if ((await fetch(url + readyPath)).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const startSeconds = (performance.now() - spawnedAt) / 1000;
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`\n${name} (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); its last output:\n${output.slice(-4000)}\n`);
  });
  return {
    name,
    url,
    pid: child.pid,
    startSeconds,
    output: () => output,
    rssMB: () => rssMB(child.pid),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill(signal);
      }),
  };
}

/** Our server, `oauth2 serve` from dist. `env` carries DATA_DIR (and MONGODB_URL for the Mongo table). */
export async function startOurs(env, { nodeArgs = [], timeoutMs } = {}) {
  return startProcess({
    name: 'oauth2 serve',
    script: CLI,
    args: ['serve'],
    nodeArgs,
    env: { LOG_LEVEL: 'warn', ...env },
    port: await freePort(),
    readyPath: '/healthz',
    timeoutMs,
  });
}

/** The fastify hello-world form POST baseline. */
export async function startHello() {
  return startProcess({ name: 'hello-world', script: here('./hello-server.mjs'), port: await freePort(), readyPath: '/' });
}

/** panva's oidc-provider, in-memory adapter. */
export async function startOidc() {
  const port = await freePort();
  return startProcess({
    name: 'oidc-provider',
    script: here('./oidc-server.mjs'),
    env: { NODE_ENV: 'production' },
    port,
    readyPath: '/.well-known/openid-configuration',
  });
}

/** Resident set size of a process and its children (a supervisor's workers), from /proc (Linux), in MB; null elsewhere. */
export function rssMB(pid) {
  try {
    const kB = (p) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean),
    );
    return Math.round([pid, ...children].reduce((sum, p) => sum + kB(p), 0) / 1024);
  } catch {
    return null;
  }
}
