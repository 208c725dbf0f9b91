import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { maskTokens } from './redact';

/**
 * Standard output, written in blocks of 4 KB (and at least every 250 ms) instead of one write per
 * line: at thousands of requests a second, one write per request line costs more than the line.
 * Flushed synchronously on exit; call `flushSync()` before a signal ends the process.
 */
export function stdoutDestination(): ReturnType<typeof pino.destination> {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 });
}

/**
 * One structured JSON logger for the app and for Fastify. Authorization headers, cookies and
 * anything named like a secret are censored at the source, and request URLs are logged without
 * their query string, where a careless client may have put a token.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.token',
          '*.accessToken',
          '*.secret',
          'password',
          'token',
          'accessToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * The logger for the per-request line: the same destination and format, without the redaction
 * pass (the line is built from fields that hold no secret, and its path is masked by its maker).
 */
export function requestLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** Nest's LoggerService over pino, so framework and app messages share one format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    // Nest passes the context (a class name) last, and for errors a stack before it.
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const stack = typeof params[0] === 'string' ? params[0] : undefined;
    if (message instanceof Error) {
      // Nest hands a failed start-up its Error itself, whose fields are not enumerable.
      this.logger[level]({ context, error: maskTokens(message.message), stack: maskTokens(message.stack ?? '') }, maskTokens(message.message));
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...(message as object), ...(stack && { stack }) });
    } else {
      this.logger[level]({ context, ...(stack && { stack }) }, String(message));
    }
  }
}
