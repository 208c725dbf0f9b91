import { Writable } from 'node:stream';
import { BlockDestination, createLogger, PinoNestLogger, requestLineWriter } from './logger';

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

describe('requestLineWriter', () => {
  const capture = (level: string) => {
    const chunks: string[] = [];
    const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) });
    return { chunks, write: requestLineWriter(createLogger(level, stream)) };
  };
  const line = { requestId: 'r-1', method: 'GET', path: '/health', statusCode: 200, durationMs: 1.5, ip: '127.0.0.1' };

  it("writes the bytes pino writes for the same fields at info, one JSON line", () => {
    const { chunks, write } = capture('info');
    const pinoChunks: string[] = [];
    const pinoStream = new Writable({ write: (chunk, _encoding, done) => (pinoChunks.push(String(chunk)), done()) });
    const logger = createLogger('info', pinoStream);
    write(line);
    logger.child({}, { redact: [] }).info(line);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].endsWith('}\n')).toBe(true);
    // The same line but for the time, which the two took a moment apart.
    const withoutTime = (text: string) => text.replace(/"time":"[^"]+"/, '"time":""');
    expect(withoutTime(chunks[0])).toBe(withoutTime(pinoChunks[0]));
    expect(JSON.parse(chunks[0])).toMatchObject({ level: 30, ...line });
    expect(new Date(JSON.parse(chunks[0]).time as string).getTime()).not.toBeNaN();
  });

  it('escapes what a client put in the path or a proxy in the address, so that the line stays one JSON object', () => {
    const { chunks, write } = capture('info');
    write({ ...line, path: '/x"},"statusCode":1,"y":"\n', ip: 'a"b' });
    expect(chunks[0].split('\n')).toHaveLength(2);
    expect(JSON.parse(chunks[0])).toMatchObject({ path: '/x"},"statusCode":1,"y":"\n', statusCode: 200, ip: 'a"b' });
  });

  it('writes nothing when the level is above info (LOG_LEVEL=warn)', () => {
    const { chunks, write } = capture('warn');
    write(line);
    expect(chunks).toHaveLength(0);
  });
});

describe('BlockDestination', () => {
  const sink = () => {
    const written: string[] = [];
    let synced = 0;
    return { written, synced: () => synced, sonic: { write: (data: string) => (written.push(data), true), flushSync: () => void synced++ } };
  };

  it('hands lines on in blocks, in order, and everything at flushSync', () => {
    const { written, sonic, synced } = sink();
    const destination = new BlockDestination(sonic, 100, 60_000);
    const lines = Array.from({ length: 25 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(10)}"}\n`);
    for (const text of lines) destination.write(text);
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(lines.length);
    destination.flushSync();
    expect(written.join('')).toBe(lines.join(''));
    expect(synced()).toBe(1);
  });

  it('hands a partial block on within its period', async () => {
    const { written, sonic } = sink();
    const destination = new BlockDestination(sonic, 1 << 20, 20);
    destination.write('{"a":1}\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).toEqual(['{"a":1}\n']);
  });
});
