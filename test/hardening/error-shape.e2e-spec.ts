import { Socket, AddressInfo, connect } from 'node:net';
import { DataSource } from 'typeorm';
import { TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { rawGet, rawRequest } from './support/hardening';
import { isErrorShape } from '../support/assertions';

/** Answers the HTTP parser and Fastify give before any Nest code runs: in the one error shape too. */
describe.each(testDatabases())('errors from below the app on $name', (database) => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await TestApp.start(database);
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

  it('a header over 16 KB: 431 in the one shape', async () => {
    const response = await rawRequest(port, rawGet('/health', [Buffer.from(`X-Padding: ${'a'.repeat(17 * 1024)}`)]));
    expect(response.status).toBe(431);
    expect(isErrorShape(json(response.body), 431)).toBe(true);
    expect(json(response.body).code).toBe('headers_too_large');
    expect(response.head).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}/i);
  });

  it('a URL over 16 KB: 431 in the one shape', async () => {
    const response = await rawRequest(port, rawGet(`/health?q=${'a'.repeat(17 * 1024)}`, []));
    expect(response.status).toBe(431);
    expect(isErrorShape(json(response.body), 431)).toBe(true);
  });

  it.each([
    ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n'],
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a bad Content-Length', 'POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n'],
  ])('%s: 400 in the one shape (not "Client Error")', async (_name, payload) => {
    const response = await rawRequest(port, payload);
    expect(response.status).toBe(400);
    expect(isErrorShape(json(response.body), 400)).toBe(true);
    expect(json(response.body).code).toBe('bad_request');
  });
});

describe.each(testDatabases())('a request that arrives while the server drains, on $name', (database) => {
  it('is answered 503 in the one shape, with Retry-After and Connection: close', async () => {
    const t = await TestApp.start(database);
    await t.app.listen(0, '127.0.0.1');
    const server = t.app.getHttpServer();
    const port = (server.address() as AddressInfo).port;

    // Request A holds its connection open (its readiness query waits on a gate) while the app closes.
    const dataSource = t.app.get(DataSource);
    const query = dataSource.query.bind(dataSource);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    jest.spyOn(dataSource, 'query').mockImplementation(async (sql, parameters) => {
      if (sql === 'SELECT 1') {
        entered();
        await gate;
      }
      return query(sql, parameters);
    });
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await inFlight;

    const closed = t.close();
    while (server.listening) await new Promise((resolve) => setImmediate(resolve));
    // Request B, pipelined on A's connection once the server stopped accepting new ones.
    const routed = new Promise<void>((resolve) =>
      server.on('request', (request: { url?: string }) => request.url === '/health' && resolve()),
    );
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await routed;
    release();
    await ended;
    await closed;

    const text = Buffer.concat(chunks).toString('utf8');
    const second = text.indexOf('HTTP/1.1', 1);
    expect(second).toBeGreaterThan(0);
    const [head, body] = text.slice(second).split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\nretry-after: 5/i);
    expect(head).toMatch(/\r\nconnection: close/i);
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(isErrorShape(parsed, 503)).toBe(true);
    expect(parsed.code).toBe('shutting_down');
  });
});
