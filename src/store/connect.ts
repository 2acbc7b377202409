import type { Logger } from 'pino';

/** A store URL fit for a log line: the password, if any, masked. */
export function maskUrl(url: string): string {
  return url
    .replace(/^([a-z+]+:\/\/[^:/@]+:)[^@]*@/i, '$1***@')
    .replace(/([?&][^=&]*(?:password|secret|key)[^=&]*=)[^&]*/gi, '$1***');
}

export class StoreUnreachableError extends Error {
  override name = 'StoreUnreachableError';
}

/**
 * Connects with exponential backoff (0.5 s, 1 s, 2 s, … capped at 5 s), logging each failure;
 * after the last attempt fails, throws an error that names the (masked) URL.
 */
export async function connectWithRetry<T>(
  what: string,
  url: string,
  connect: () => Promise<T>,
  log: Logger,
  attempts = 6,
): Promise<T> {
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= attempts) {
        throw new StoreUnreachableError(`cannot reach ${what} at ${maskUrl(url)} after ${attempts} attempts: ${reason}`);
      }
      log.warn({ store: what, url: maskUrl(url), attempt, retryInMs: delay, reason }, `${what} not reachable yet; retrying`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
