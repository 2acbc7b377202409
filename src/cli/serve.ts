import { openRuntime } from '../composition.js';
import { buildApp } from '../http/app.js';
import { createLogger } from './logger.js';
import { configOrExit } from './runtime-command.js';

/** `oauth2 serve`: the HTTP server and, in the same process, the projections. */
export async function serve(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.LOG_LEVEL);
  const runtime = await openRuntime(config, log);
  const app = buildApp(runtime, log);
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  log.info({ address, issuer: config.ISSUER, dataDir: config.DATA_DIR }, 'oauth2 server listening');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
