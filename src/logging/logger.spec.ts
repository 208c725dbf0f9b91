import { Writable } from 'node:stream';
import { createLogger, PinoNestLogger } from './logger';

describe('PinoNestLogger', () => {
  const capture = () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    return { lines, logger: new PinoNestLogger(createLogger('info', stream)) };
  };

  it('logs an Error handed over as the message (a failed start-up) with its message and stack', () => {
    const { lines, logger } = capture();
    logger.error(new Error('connect ECONNREFUSED 127.0.0.1:3306'), 'ExceptionHandler');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, context: 'ExceptionHandler', error: 'connect ECONNREFUSED 127.0.0.1:3306' });
    expect(lines[0].stack).toContain('logger.spec.ts');
  });

  it("masks anything token-shaped in such an error's message", () => {
    const { lines, logger } = capture();
    const secret = 'pat_' + 'Ab3'.repeat(12);
    logger.error(new Error(`Duplicate entry '${secret}'`), 'ExceptionHandler');
    expect(JSON.stringify(lines)).not.toContain(secret.slice(4));
  });

  it('keeps a structured message and a string message as they were', () => {
    const { lines, logger } = capture();
    logger.log({ message: 'Listening', port: 3000 }, 'Main');
    logger.warn('plain words', 'Main');
    expect(lines[0]).toMatchObject({ context: 'Main', message: 'Listening', port: 3000 });
    expect(lines[1]).toMatchObject({ context: 'Main', msg: 'plain words' });
  });
});
