import { Logger as NestLogger } from '@nestjs/common';
import { Logger as TypeOrmLogger } from 'typeorm';
import { maskTokens } from './redact';

/**
 * TypeORM's queries into the app's log at debug level (LOG_SQL=true), parameters included: the
 * service never puts a secret in SQL, only digests, so the SQL log can be kept and scanned. A
 * client can still send a token where a name or a scope belongs: parameters shaped like one are masked.
 */
export class SqlLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('SQL');

  logQuery(query: string, parameters?: unknown[]): void {
    this.logger.debug({ message: 'query', query, parameters: masked(parameters) });
  }
  logQueryError(error: string | Error, query: string, parameters?: unknown[]): void {
    this.logger.warn({
      message: 'query failed',
      query,
      parameters: masked(parameters),
      error: maskTokens(messageOf(error)),
    });
  }
  logQuerySlow(time: number, query: string, parameters?: unknown[]): void {
    this.logger.warn({ message: 'slow query', time, query, parameters: masked(parameters) });
  }
  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }
  logMigration(message: string): void {
    this.logger.log(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(message);
    else this.logger.log(message);
  }
}

function masked(parameters: unknown[] | undefined): unknown[] | undefined {
  return parameters?.map((value) => (typeof value === 'string' ? maskTokens(value) : value));
}

/**
 * A driver error's message. Not by `instanceof Error`: a native driver's errors can come from
 * another realm (better-sqlite3 under Jest), and a logger that throws turns a 409 into a 500.
 */
function messageOf(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
