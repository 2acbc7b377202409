import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
type LogFn = (...args: unknown[]) => void;

/**
 * A request's logger that becomes pino's child (bound to the request id) only when a line is
 * logged at an enabled level. Fastify makes one per request, and pino's child() with redaction
 * cost about 3% of an introspection; most requests log nothing through it (their request line
 * goes through RequestLines' logger).
 */
class LazyChildLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.real ??= this.parent.child(this.bindings, this.options));
  }

  private write(level: Level, args: unknown[]): void {
    if ((this.real ?? this.parent).isLevelEnabled(level)) {
      (this.logger[level] as LogFn)(...args);
    }
  }

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  silent(): void {}
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
}

/** Fastify's childLoggerFactory for a pino logger: see LazyChildLogger. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const pino = logger as Logger;
  // A route with options of its own (a logLevel) gets its child at once: its level is not the parent's.
  if (Object.keys(options).length > 0) return pino.child(bindings, options);
  return new LazyChildLogger(pino, bindings, options) as unknown as FastifyBaseLogger;
}
