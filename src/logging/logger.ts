import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { maskTokens } from './redact';

/** Where the app's log goes: a stream of lines, flushed synchronously before a signal ends the process. */
export interface LogDestination extends DestinationStream {
  flushSync(): void;
}

/**
 * Standard output, written in blocks of 64 KB (and at least every 250 ms) instead of one write per
 * line: at thousands of requests a second, one write per request line costs more than the line.
 * The lines are joined here and handed to pino's SonicBoom a block at a time: its own buffering
 * (`minLength`) measures the whole pending block in bytes on every line it is given (2.5 µs of CPU
 * per line against 0.6 here, `bench/README.md`). Flushed synchronously on exit; call `flushSync()`
 * before a signal ends the process.
 */
export function stdoutDestination(): LogDestination {
  return new BlockDestination(pino.destination({ dest: 1, sync: false }));
}

/** Lines joined into blocks in front of a SonicBoom (exported for its test). */
export class BlockDestination implements LogDestination {
  private pending = '';

  constructor(
    private readonly sonic: { write(data: string): boolean; flushSync(): void },
    private readonly blockLength = 64 * 1024,
    periodMs = 250,
  ) {
    setInterval(() => this.flush(), periodMs).unref();
    process.once('exit', () => this.flushSync());
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.blockLength) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const block = this.pending;
    this.pending = '';
    this.sonic.write(block);
  }

  flushSync(): void {
    this.flush();
    this.sonic.flushSync();
  }
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

/** The fields of the per-request line; none holds a secret (the path is masked by its maker). */
export interface RequestLine {
  requestId: string;
  method: string;
  path: string;
  statusCode: number;
  durationMs: number;
  ip: string;
}

/**
 * Writes the per-request line at `info`: the bytes pino writes for an info line of these fields
 * (`{"level":30,"time":"<ISO>","requestId":…,"ip":…}`), made as one string and handed to the
 * logger's destination. Through `logger.info` the line cost more than the rest of a `/health`
 * request (pino's generic path: a child's bindings, a serialiser pass over each field, its hooks);
 * this is one template string. The logger's level still decides (`LOG_LEVEL=warn`: no line).
 */
export function requestLineWriter(logger: Logger): (line: RequestLine) => void {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  let millisecond = -1;
  let time = '';
  return (line) => {
    if (!logger.isLevelEnabled('info')) return;
    const now = Date.now();
    if (now !== millisecond) {
      millisecond = now;
      time = new Date(now).toISOString();
    }
    stream.write(
      `{"level":30,"time":"${time}","requestId":${JSON.stringify(line.requestId)},"method":${JSON.stringify(line.method)},` +
        `"path":${JSON.stringify(line.path)},"statusCode":${line.statusCode},"durationMs":${line.durationMs},"ip":${JSON.stringify(line.ip)}}\n`,
    );
  };
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
