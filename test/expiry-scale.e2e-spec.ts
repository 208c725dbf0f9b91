import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TokenEvents } from '../libs/personal-access-tokens/src';
import { ExpiryJob } from './support/library-internals';
import { PersonalAccessToken } from '../libs/personal-access-tokens/src/tokens/personal-access-token.entity';
import { tokenNameKey } from '../libs/personal-access-tokens/src/tokens/token-name';
import { DAY, HOUR } from './support/fake-clock';
import { TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';

/**
 * A measurement, not a check run by default: `EXPIRY_SCALE_ROWS=100000 npx jest test/expiry-scale`
 * seeds that many due tokens (plus as many live ones) and times one full run of the job, events
 * and the audit trail included. Results are printed; nothing is asserted about time.
 */
const ROWS = Number(process.env.EXPIRY_SCALE_ROWS ?? 0);
const maybe = ROWS > 0 ? describe.each(testDatabases()) : describe.skip.each(testDatabases());

maybe('expiry job at scale on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    // The database's default batch size, as the service runs it.
    t = await TestApp.start(database, {
      logLevel: 'warn',
      logSql: false,
      expiryJob: { cron: false, batchSize: null, revokeUnusedAfterDays: null },
    });
  });
  afterAll(() => t.close());

  it(
    `expires ${ROWS} due tokens, each once`,
    async () => {
      const repository = t.app.get(DataSource).getRepository(PersonalAccessToken);
      const user = await t.createUser('member');
      const now = t.clock.now().getTime();
      const seedStarted = Date.now();
      const chunk = 500;
      for (let i = 0; i < 2 * ROWS; i += chunk) {
        const rows = Array.from({ length: Math.min(chunk, 2 * ROWS - i) }, (_, j) => {
          const n = i + j;
          return {
            id: randomUUID(),
            userId: user.id,
            name: `t${n}`,
            nameKey: tokenNameKey(`t${n}`),
            description: null,
            digest: randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''),
            status: 'active' as const,
            createdAt: new Date(now - 30 * DAY),
            // Even rows are due (spread over the last day), odd ones live for another 30 days.
            expiresAt: new Date(n % 2 === 0 ? now - 1 - (n % 86_400_000) : now + 30 * DAY),
            revokedAt: null,
            rotatedAt: null,
            lastUsedAt: null,
            lastUsedIp: null,
          };
        });
        await repository.insert(rows);
      }
      const seeded = (Date.now() - seedStarted) / 1000;
      t.clock.advance(HOUR);
      // How much of the run is spent writing the events (the audit trail, the webhook outbox) and publishing them.
      const events = t.app.get(TokenEvents);
      const record = events.record.bind(events);
      const publishAll = events.publishAll.bind(events);
      let recording = 0;
      let publishing = 0;
      events.record = async (manager, batch) => {
        const at = Date.now();
        await record(manager, batch);
        recording += Date.now() - at;
      };
      events.publishAll = async (batch, options) => {
        const at = Date.now();
        await publishAll(batch, options);
        publishing += Date.now() - at;
      };
      const started = Date.now();
      const result = await t.app.get(ExpiryJob).run();
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `[expiry-scale] ${database.name}: seeded ${2 * ROWS} rows in ${seeded.toFixed(1)} s; ` +
          `expired ${result.expired} in ${seconds.toFixed(1)} s (${Math.round(result.expired / seconds)} tokens/s), default batch, ` +
          `${(recording / 1000).toFixed(1)} s of it writing the events in the batches' transactions, ` +
          `${(publishing / 1000).toFixed(1)} s publishing them${result.interrupted ? `; interrupted: ${result.interrupted}` : ''}\n`,
      );
      expect(result.expired).toBe(ROWS);
      expect((await t.app.get(ExpiryJob).run()).expired).toBe(0);
      const [audited] = await t.app
        .get(DataSource)
        .query("SELECT COUNT(*) AS n, COUNT(DISTINCT token_id) AS tokens FROM audit_events WHERE action = 'personal_access_token.expired'");
      expect({ n: Number(audited.n), tokens: Number(audited.tokens) }).toEqual({ n: ROWS, tokens: ROWS });
    },
    30 * 60_000,
  );
});
