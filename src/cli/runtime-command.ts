import type { Logger } from 'pino';
import { openRuntime, type Runtime } from '../composition.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { createLogger } from './logger.js';

/** Exits 1 with a clear message on bad configuration, instead of a stack trace. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`oauth2: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Runs a short CLI action against the configured stores, then closes them. It only appends events:
 * on the embedded store they are projected as they commit; otherwise the server's projections (or
 * `oauth2 projector`) bring them into the read models.
 */
export async function withRuntime<T>(action: (runtime: Runtime, log: Logger) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const runtime = await openRuntime(config, log, { projections: false, awaitProjection: false });
  try {
    return await action(runtime, log);
  } finally {
    await runtime.close();
  }
}

export const CLI_META = { requestId: 'cli', userAgent: 'oauth2-cli' };
