import { Logger } from '@nestjs/common';
import { SqlLogger } from './sql-logger';

describe('SqlLogger', () => {
  const secret = 'pat_' + 'Ab3'.repeat(12) + 'x0Y9zQ';
  let debug: jest.SpyInstance;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['as it is', secret],
    ['inside an escaped LIKE pattern', `%${secret.replace('_', '!_')}%`],
    ['without its prefix', secret.slice(4)],
  ])('masks a token-shaped parameter (%s), keeps the others', (_name, parameter) => {
    new SqlLogger().logQuery('SELECT 1 WHERE a = ? AND b = ? AND c = ?', [parameter, 'reports:read', 42]);
    const logged = JSON.stringify(debug.mock.calls);
    expect(logged).not.toContain(secret.slice(4));
    expect(logged).toContain('[redacted]');
    expect(logged).toContain('reports:read');
    expect(logged).toContain('42');
  });

  it("logs a failed query whose error is not an Error of this realm (a native driver's), without throwing", () => {
    const foreign = Object.create(null) as { message: string };
    foreign.message = `UNIQUE constraint failed near '${secret}'`;
    expect(() => new SqlLogger().logQueryError(foreign as never, 'INSERT', [])).not.toThrow();
    const logged = JSON.stringify(warn.mock.calls);
    expect(logged).toContain('UNIQUE constraint failed');
    expect(logged).not.toContain(secret.slice(4));
  });

  it('masks them in failed and slow queries too', () => {
    const logger = new SqlLogger();
    logger.logQueryError(new Error(`Duplicate entry '${secret}'`), 'INSERT', [secret]);
    logger.logQuerySlow(2000, 'SELECT', [secret]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(secret.slice(4));
  });
});
