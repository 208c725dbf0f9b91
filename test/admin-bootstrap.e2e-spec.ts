import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_EMAIL, TestApp } from './support/test-app';
import { TestDatabase, testDatabases } from './support/test-database';

/**
 * The first start without ADMIN_PASSWORD: an admin with a generated password, printed once on
 * the console (stdout, for the operator), never in the structured log, and never again.
 */
describe.each(testDatabases())('the first admin without ADMIN_PASSWORD on $name', (kind) => {
  let database: TestDatabase;
  let dataDir: string | undefined;

  beforeAll(async () => {
    if (kind.name === 'sqlite') {
      // A file, so that the second start finds the first one's users.
      dataDir = mkdtempSync(join(tmpdir(), 'pat-bootstrap-'));
      database = { config: { type: 'sqlite', file: join(dataDir, 'pat.sqlite') }, drop: async () => undefined };
    } else database = await kind.create();
  });
  afterAll(async () => {
    await database.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts the service without an admin password and answers what it printed on stdout meanwhile. */
  const start = async () => {
    const printed: string[] = [];
    const write = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    try {
      const t = await TestApp.start(database, { admin: { email: ADMIN_EMAIL } });
      return { t, printed: printed.join('') };
    } finally {
      write.mockRestore();
    }
  };

  it('prints a generated password once, which signs the admin in, and logs it nowhere', async () => {
    const first = await start();
    const match = /created admin (\S+) with password (\S+)/.exec(first.printed);
    expect(match?.[1]).toBe(ADMIN_EMAIL);
    const password = match![2];
    expect(password.length).toBeGreaterThanOrEqual(20);
    first.t.secrets.add(password); // close() fails if any log line holds it
    expect(first.t.logs.some((line) => line.includes('Created the first admin user'))).toBe(true);
    const login = await first.t.post('/auth/login', { email: ADMIN_EMAIL, password });
    expect(login.status).toBe(200);
    expect((await first.t.get('/user/me', { token: login.body.accessToken })).body.role).toBe('admin');
    await first.t.close();

    const second = await start();
    try {
      expect(second.printed).not.toContain('password');
      second.t.secrets.add(password);
      expect((await second.t.post('/auth/login', { email: ADMIN_EMAIL, password })).status).toBe(200);
    } finally {
      await second.t.close();
    }
  });
});
