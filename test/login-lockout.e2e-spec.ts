import { UsersService } from '../libs/personal-access-tokens/src';
import { TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';
import { expectErrorShape } from './support/assertions';

/** A valid address of `length` characters: a 64-character local part and labels of up to 63. */
function longEmail(length: number, tag: string): string {
  const local = tag.padEnd(64, 'a');
  let domain = 'test';
  while (local.length + 1 + domain.length < length) {
    const room = length - (local.length + 1 + domain.length) - 1;
    domain = `${'b'.repeat(Math.min(63, room))}.${domain}`;
  }
  return `${local}@${domain}`;
}

/** The per-email failed-login lockout holds for every address the service accepts, up to 320 characters. */
describe.each(testDatabases())('the per-email login lockout on $name', (database) => {
  let t: TestApp;
  const failuresPerEmail = 3;

  beforeAll(async () => {
    t = await TestApp.start(database, { loginRateLimit: { perIp: 1000, failuresPerEmail, windowSeconds: 60 } });
  });
  afterAll(() => t.close());

  it.each([190, 254, 320])(
    'a %i-character email: wrong passwords are 401, then the account is locked (429) even for the right one',
    async (length) => {
      const email = longEmail(length, `u${length}`);
      expect(email).toHaveLength(length);
      const password = `right password ${length}`;
      t.secrets.add(password);
      await t.app.get(UsersService).create({ email, password, displayName: 'Long address', role: 'member' });

      for (let i = 0; i < failuresPerEmail; i++) {
        const wrong = await t.post('/auth/login', { email, password: 'wrong password' });
        expectErrorShape(wrong, 401);
        expect(wrong.body.code).toBe('invalid_credentials');
      }
      const locked = await t.post('/auth/login', { email, password });
      expectErrorShape(locked, 429);
      expect(locked.headers['retry-after']).toBeDefined();
    },
  );

  it('two long addresses that share their first 200 characters are counted apart', async () => {
    const first = longEmail(300, 'twin');
    const second = first.slice(0, -6) + 'x.test';
    expect(second).not.toBe(first);
    const password = 'the twin password';
    t.secrets.add(password);
    await t.app.get(UsersService).create({ email: second, password, displayName: 'Twin', role: 'member' });

    for (let i = 0; i < failuresPerEmail + 1; i++) await t.post('/auth/login', { email: first, password: 'wrong password' });
    const other = await t.post('/auth/login', { email: second, password });
    expect(other.status).toBe(200);
  });
});
