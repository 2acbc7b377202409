import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { superviseWorkers } from '../cluster/supervisor.js';
import { workerPeers } from '../cluster/worker-peers.js';
import { openRuntime, type Runtime } from '../composition.js';
import { buildApp } from '../http/app.js';
import { sessionKey } from '../http/session-key.js';
import type { Config } from '../config.js';
import { StoreUnreachableError } from '../store/connect.js';
import { createLogger } from './logger.js';
import { configOrExit } from './runtime-command.js';

async function runtimeOrExit(config: Config, log: Logger, projections: boolean, checkpointWal = true): Promise<Runtime> {
  try {
    const runtime = await openRuntime(config, log, { projections, checkpointWal });
    // A stopped projector would leave every write waiting for it: exit, and let the supervisor restart us.
    runtime.runner?.onFailure(() => {
      log.fatal('projections stopped on an error; exiting');
      process.exit(1);
    });
    return runtime;
  } catch (error) {
    if (error instanceof StoreUnreachableError) {
      log.fatal(error.message);
      process.stderr.write(`oauth2: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Stops once on SIGINT or SIGTERM, then exits 0; returns the same trigger for other reasons. */
function onSignals(stop: (signal: string) => Promise<void>): (reason: string) => void {
  let stopping = false;
  const once = (reason: string) => {
    if (stopping) return;
    stopping = true;
    void stop(reason).then(() => process.exit(0));
  };
  process.on('SIGINT', () => once('SIGINT'));
  process.on('SIGTERM', () => once('SIGTERM'));
  return once;
}

/** Why a port cannot be listened on, when it is the operator's to fix. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'this machine has no such address',
};

/** Listens, or exits 1 naming the address and why (no stack trace) when it cannot. */
async function listenOrExit(app: FastifyInstance, config: Config, log: Logger): Promise<string> {
  try {
    return await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    const why = LISTEN_ERRORS[String((error as { code?: unknown }).code)];
    if (why === undefined) throw error;
    const message = `cannot listen on ${config.HOST}:${config.PORT}: ${why}`;
    log.fatal(message);
    process.stderr.write(`oauth2: ${message}\n`);
    process.exit(1);
  }
}

/**
 * `oauth2 serve [--api-only]`: HTTP, and unless --api-only, the projections in the same process.
 * With WORKERS > 1 this process supervises that many HTTP workers (cluster workers running this
 * same command) and runs the projections itself.
 */
export async function serve(options: { apiOnly?: boolean }): Promise<void> {
  const config = configOrExit();
  if (config.WORKERS > 1 && cluster.isPrimary) return supervise(config, options);
  const worker = cluster.worker?.id;
  const log = worker === undefined ? createLogger(config.LOG_LEVEL) : createLogger(config.LOG_LEVEL).child({ worker });
  const runtime = await runtimeOrExit(config, log, !options.apiOnly && worker === undefined, worker === undefined);
  const app = buildApp(runtime, log, worker === undefined ? undefined : workerPeers(runtime.metrics.registry));
  const address = await listenOrExit(app, config, log);
  const projections = runtime.inline ? 'inline' : options.apiOnly || worker !== undefined ? 'elsewhere' : 'in process';
  // A worker is one of several: the supervisor announces the server once all of them listen.
  log[worker === undefined ? 'info' : 'debug']({ address, issuer: config.ISSUER, stores: runtime.kinds, projections }, 'oauth2 server listening');
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await app.close();
    await runtime.close();
  };
  const stopOnce = onSignals(stop);
  // The supervisor is gone (killed, crashed): its workers must not serve on without it.
  if (worker !== undefined) process.once('disconnect', () => stopOnce('disconnect'));
}

async function supervise(config: Config, options: { apiOnly?: boolean }): Promise<void> {
  const workers = config.WORKERS;
  const log = createLogger(config.LOG_LEVEL);
  // Made here, before any worker reads it, so that all of them read the same one.
  sessionKey(config.SESSION_SECRET, config.DATA_DIR);
  // Once for the whole server, while the workers answer requests: the projections unless
  // --api-only (on the embedded store: catching the read models up, and pruning them), and the
  // embedded file's WAL checkpoints.
  const runtime = await runtimeOrExit(config, log, !options.apiOnly);
  const projections = runtime.inline ? 'inline' : options.apiOnly ? 'elsewhere' : 'in process';
  log.info({ workers, stores: runtime.kinds, projections }, 'oauth2 supervisor starting its workers');
  superviseWorkers({ workers, log, throttle: config, close: () => runtime.close() });
}

/** `oauth2 projector`: only the projections, for a deployment with separate API processes. */
export async function projector(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.LOG_LEVEL);
  const runtime = await runtimeOrExit(config, log, true);
  if (runtime.inline) {
    log.info({ stores: runtime.kinds }, 'oauth2 projector running: the embedded store projects every append as it commits, so this process only prunes expired rows');
  } else log.info({ stores: runtime.kinds }, 'oauth2 projector running');
  onSignals(async (signal) => {
    log.info({ signal }, 'shutting down');
    await runtime.close();
  });
}
