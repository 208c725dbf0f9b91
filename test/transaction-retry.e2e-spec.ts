import { DataSource } from 'typeorm';
import { MAX_TRANSACTION_ATTEMPTS } from '../libs/personal-access-tokens/src/core/unit-of-work';
import { expectRefusal } from './support/assertions';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';

/** Real driver errors, raised by the server inside the transaction, as a conflict would raise them. */
const FAILURES = {
  deadlock:
    "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'Deadlock found when trying to get lock; try restarting transaction'",
  certification:
    "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction'",
  lockWaitTimeout:
    "SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'Lock wait timeout exceeded; try restarting transaction'",
};

const mariadb = testDatabases().filter((kind) => kind.name === 'mariadb');

/**
 * The unit of work's retry loop on MariaDB (SQLite serializes writes and never conflicts): the
 * token's INSERT fails the first `times` attempts with a real error from the server, in the
 * transaction, and the request must come out as the loop promises.
 */
(mariadb.length ? describe.each(mariadb) : describe.skip.each(testDatabases()))('transaction retries on $name', (kind) => {
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(kind);
    alice = await t.createUser('member');
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  /** Makes the first `times` INSERTs of a token fail with `failure`; answers how many were attempted. */
  const failInserts = (failure: keyof typeof FAILURES, times: number) => {
    let attempts = 0;
    const dataSource = t.app.get(DataSource);
    const create = dataSource.createQueryRunner.bind(dataSource);
    jest.spyOn(dataSource, 'createQueryRunner').mockImplementation((...args) => {
      const runner = create(...args);
      const query = runner.query.bind(runner);
      runner.query = ((sql: string, ...rest: unknown[]) => {
        if (sql.startsWith('INSERT INTO `personal_access_tokens`(') && ++attempts <= times) return query(FAILURES[failure]);
        return (query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
      }) as typeof runner.query;
      return runner;
    });
    return () => attempts;
  };

  const create = (name: string) => t.post(BASE, { name, scopes: ['user:read'] }, { token: alice.session });
  const named = async (name: string) =>
    (await t.app.get(DataSource).query('SELECT id FROM personal_access_tokens WHERE user_id = ? AND name = ?', [alice.id, name])).length;

  it.each([
    ['a deadlock', 'deadlock', 2],
    ['a Galera certification failure, up to the last attempt', 'certification', MAX_TRANSACTION_ATTEMPTS - 1],
  ] as const)('reruns the transaction after %s, and the request succeeds once', async (_what, failure, times) => {
    const attempts = failInserts(failure, times);
    const response = await create(`retried-${failure}`);
    expect(response.status).toBe(201);
    expect(attempts()).toBe(times + 1);
    expect(await named(`retried-${failure}`)).toBe(1);
    expect((await t.get('/user/me', { token: response.body.token })).status).toBe(200);
  });

  it('gives up after the last attempt with a 503 and Retry-After, having written nothing', async () => {
    const attempts = failInserts('certification', Number.MAX_SAFE_INTEGER);
    const response = await create('never-certified');
    expectRefusal(response, 503, 'service_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(attempts()).toBe(MAX_TRANSACTION_ATTEMPTS);
    expect(await named('never-certified')).toBe(0);
  });

  it('reruns a lock wait timeout (1205) once only, then answers 503', async () => {
    const once = failInserts('lockWaitTimeout', 1);
    expect((await create('waited-once')).status).toBe(201);
    expect(once()).toBe(2);
    jest.restoreAllMocks();

    const always = failInserts('lockWaitTimeout', Number.MAX_SAFE_INTEGER);
    const response = await create('waited-twice');
    expectRefusal(response, 503, 'service_unavailable');
    expect(always()).toBe(2);
    expect(await named('waited-twice')).toBe(0);
  });
});
