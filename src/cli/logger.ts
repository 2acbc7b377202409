import pino, { type Logger } from 'pino';
import { REDACT } from '../http/log-redaction.js';

/**
 * Lines go to stdout in writes of about 4 KB, not one write per line: at info the server logs each
 * request, and a write per line (each one a libuv thread's wake-up) cost a tenth of its
 * client_credentials throughput. A line waits at most 100 ms; pino flushes what is left when the
 * process exits, so only a process killed outright (SIGKILL, the OOM killer) loses its last lines.
 * Each write holds whole lines and at most 4,096 bytes (PIPE_BUF), so the workers' writes to a
 * shared pipe do not interleave within a line.
 */
export function createLogger(level: string): Logger {
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4000, maxWrite: 4096, periodicFlush: 100 });
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, stdout);
}
