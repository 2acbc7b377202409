import pino, { type Logger } from 'pino';
import { REDACT } from '../http/app.js';

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}
