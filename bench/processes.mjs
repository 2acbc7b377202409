// Child processes for the benchmark: our server (from dist), the baselines, the CLI; and their RSS.
import { execFile, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HELLO_SILENT } from './report.mjs';

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

/** Runs `oauth2 <args>` (from `cli`, another build's for --compare) to completion; throws with its output on a non-zero exit. */
export async function oauth2(args, env, cli = CLI) {
  try {
    return await run(process.execPath, [cli, ...args], { env: childEnv(env), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`oauth2 ${args.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  }
}

/** The last `bytes` of a file. */
function tail(file, bytes) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString();
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts `node [nodeArgs] script [args]` and waits until GET `readyPath` answers 200. Its output
 * goes to a file, not a pipe: servers that log each request would otherwise cost this process
 * (on the machine being measured) a read per batch of lines.
 */
async function startProcess({ name, script, args = [], nodeArgs = [], env, port, readyPath, timeoutMs = 120_000 }) {
  const spawnedAt = performance.now();
  const logDir = mkdtempSync(join(tmpdir(), 'oauth2-bench-log-'));
  const logFile = join(logDir, 'output.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: childEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const output = (bytes = 100_000) => tail(logFile, bytes);
  const removeLog = () => rmSync(logDir, { recursive: true, force: true });
  const fail = (why) => {
    const text = output();
    removeLog();
    return new Error(`${name} ${why}:\n${text}`);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw fail('exited');
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw fail(`did not answer ${readyPath} within ${timeoutMs / 1000} s`);
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
    process.stderr.write(`\n${name} (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); its last output:\n${output(4000)}\n`);
  });
  return {
    name,
    url,
    pid: child.pid,
    /** Its stdout and stderr, until it is stopped. */
    logFile,
    startSeconds,
    rssMB: () => rssMB(child.pid),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) {
          removeLog();
          return resolve();
        }
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          removeLog();
          resolve();
        });
        child.kill(signal);
      }),
  };
}

/**
 * Our server, `oauth2 serve` from dist (or from `cli`, another build's). `env` carries DATA_DIR
 * (and MONGODB_URL for the Mongo table). `logLevel` null leaves LOG_LEVEL at the server's default
 * (info: a line per request), as the table runs it beside a hello-world that logs each request too.
 */
export async function startOurs(env, { nodeArgs = [], timeoutMs, logLevel = 'warn', cli = CLI } = {}) {
  return startProcess({
    name: 'oauth2 serve',
    script: cli,
    args: ['serve'],
    nodeArgs,
    env: { ...(logLevel === null ? {} : { LOG_LEVEL: logLevel }), ...env },
    port: await freePort(),
    readyPath: '/healthz',
    timeoutMs,
  });
}

/** The fastify hello-world form POST baseline; `logger` false runs it silent (the reference row). */
export async function startHello({ logger = true } = {}) {
  return startProcess({
    name: logger ? 'hello-world' : HELLO_SILENT,
    script: here('./hello-server.mjs'),
    env: logger ? {} : { HELLO_LOGGER: 'off' },
    port: await freePort(),
    readyPath: '/',
  });
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

/** The pids of a process's children (a supervisor's workers), from /proc (Linux). */
export function childPids(pid) {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean),
  );
}

/** Resident set size of a process and its children (a supervisor's workers), from /proc (Linux), in MB; null elsewhere. */
export function rssMB(pid) {
  try {
    const kB = (p) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    return Math.round([pid, ...childPids(pid)].reduce((sum, p) => sum + kB(p), 0) / 1024);
  } catch {
    return null;
  }
}
