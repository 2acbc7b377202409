import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { childEnv } from './stores.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs the built `oauth2` CLI; resolves with its exit code and output instead of throwing. */
export async function oauth2(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: childEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process has written so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `oauth2 <args>` and waits until it answers /healthz. */
export async function startServer(env: Record<string, string>, args = ['serve']): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: childEnv({ PORT: String(port), HOST: '127.0.0.1', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));
  // 'close' comes after 'exit', once its output is all read: what it flushed as it exited included.
  let closed = false;
  child.on('close', () => (closed = true));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`server exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    output: () => output,
    /** Resolves once the process has exited and its output is all in output(). */
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (closed) return resolve();
        child.once('close', () => resolve());
        if (!exited) child.kill(signal);
      }),
  };
}

/** Starts `oauth2 projector` (no HTTP) and waits for its "running" log line. */
export async function startProjector(env: Record<string, string>): Promise<Pick<ServerProcess, 'child' | 'output' | 'stop'>> {
  const child = spawn(process.execPath, [CLI, 'projector'], {
    env: childEnv({ ...env, LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!output.includes('oauth2 projector running')) {
    if (child.exitCode !== null) throw new Error(`projector exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`projector did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Until `written` holds, for at most 2 s: the server writes its log lines within 100 ms (src/cli/logger.ts). */
export async function untilLogged(written: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!written() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
