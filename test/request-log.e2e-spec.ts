import { TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';

/** The per-request line (issue 21: written as one string, not through pino's generic path). */
describe('request log line', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The line does not depend on the database: the embedded one.
    t = await TestApp.start(testDatabases()[0]);
  });
  afterAll(() => t.close());

  const requestLines = (requestId: string) =>
    t.logs
      .flatMap((chunk) => chunk.split('\n'))
      .filter((text) => text.includes(`"requestId":"${requestId}"`) && text.includes('"durationMs"'))
      .map((text) => JSON.parse(text) as Record<string, unknown>);

  it('is one JSON line per request with its id, method, path without the query, status, duration and address', async () => {
    const response = await t.get('/health?probe=1&token=pat_notreallyatoken', { headers: { 'x-request-id': 'line-1' } });
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe('line-1');
    const lines = requestLines('line-1');
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0])).toEqual(['level', 'time', 'requestId', 'method', 'path', 'statusCode', 'durationMs', 'ip']);
    expect(lines[0]).toMatchObject({ level: 30, method: 'GET', path: '/health', statusCode: 200, ip: '127.0.0.1' });
    expect(typeof lines[0].durationMs).toBe('number');
  });

  it('masks a token put in the path, and names the refusal status', async () => {
    const secret = 'pat_' + 'Zx9'.repeat(12);
    t.secrets.add(secret);
    const response = await t.get(`/user/me/personal-access-tokens/${secret}`, { headers: { 'x-request-id': 'line-2' } });
    expect(response.status).toBe(401);
    const [line] = requestLines('line-2');
    expect(line).toMatchObject({ path: '/user/me/personal-access-tokens/[redacted]', statusCode: 401 });
  });

  it('gives a 405 for a known path its request id, in the header and the line', async () => {
    const response = await t.request('PUT', '/health', { headers: { 'x-request-id': 'line-3' } });
    expect(response.status).toBe(405);
    expect(response.headers['x-request-id']).toBe('line-3');
    expect(response.body).toMatchObject({ code: 'method_not_allowed', requestId: 'line-3' });
    expect(requestLines('line-3')).toMatchObject([{ method: 'PUT', statusCode: 405 }]);
  });

  it('gives an unknown path (404) its request id too', async () => {
    const response = await t.get('/no/such/path', { headers: { 'x-request-id': 'line-4' } });
    expect(response.status).toBe(404);
    expect(response.headers['x-request-id']).toBe('line-4');
    expect(requestLines('line-4')).toMatchObject([{ statusCode: 404 }]);
  });
});
