import type { Logger } from 'pino';
import { openRuntime, type Runtime } from '../composition.js';
import { buildApp } from '../http/app.js';
import { StoreUnreachableError } from '../store/connect.js';
import { createLogger } from './logger.js';
import { configOrExit } from './runtime-command.js';

async function runtimeOrExit(log: Logger, projections: boolean): Promise<Runtime> {
  const config = configOrExit();
  try {
    const runtime = await openRuntime(config, log, { projections });
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

function onSignals(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const once = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void stop(signal).then(() => process.exit(0));
  };
  process.on('SIGINT', () => once('SIGINT'));
  process.on('SIGTERM', () => once('SIGTERM'));
}

/** `oauth2 serve [--api-only]`: HTTP, and unless --api-only, the projections in the same process. */
export async function serve(options: { apiOnly?: boolean }): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.LOG_LEVEL);
  const runtime = await runtimeOrExit(log, !options.apiOnly);
  const app = buildApp(runtime, log);
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  log.info(
    { address, issuer: config.ISSUER, stores: runtime.kinds, projections: runtime.inline ? 'inline' : options.apiOnly ? 'elsewhere' : 'in process' },
    'oauth2 server listening',
  );
  onSignals(async (signal) => {
    log.info({ signal }, 'shutting down');
    await app.close();
    await runtime.close();
  });
}

/** `oauth2 projector`: only the projections, for a deployment with separate API processes. */
export async function projector(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.LOG_LEVEL);
  const runtime = await runtimeOrExit(log, true);
  if (runtime.inline) {
    log.info({ stores: runtime.kinds }, 'oauth2 projector running: the embedded store projects every append as it commits, so this process only prunes expired rows');
  } else log.info({ stores: runtime.kinds }, 'oauth2 projector running');
  onSignals(async (signal) => {
    log.info({ signal }, 'shutting down');
    await runtime.close();
  });
}
