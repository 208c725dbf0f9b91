import { createHmac } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { verifyWebhookSignature } from '../libs/personal-access-tokens/src';
import { ExpiryJob, WebhookDispatcher } from './support/library-internals';
import { AppConfig } from '../src/config/app-config';
import { DAY, SECOND } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';
const SECRET = 'webhook-secret-for-tests-0123456789abcdef';
/** Per attempt: short, so that the timeout case waits little real time; a loopback answer takes a few ms. */
const TIMEOUT_MS = 1500;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

/** A webhook receiver on 127.0.0.1 that answers the statuses it is told to (0: never answers), then 200. */
class Receiver {
  readonly requests: Received[] = [];
  readonly statuses: number[] = [];
  private readonly held: ServerResponse[] = [];
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ headers: req.headers, body, json: JSON.parse(body) });
        const status = this.statuses.shift() ?? 200;
        if (status === 0) return void this.held.push(res);
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/pat`;
  }

  stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  ofType(type: string): Received[] {
    return this.requests.filter((r) => r.json.type === type);
  }
}

/** Checks the signature with node:crypto directly, not with the library's own helper. */
function signedCorrectly(request: Received): boolean {
  const timestamp = String(request.headers['x-pat-timestamp']);
  const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${timestamp}.${request.body}`).digest('hex');
  return request.headers['x-pat-signature'] === expected;
}

describe.each(testDatabases())('webhooks on $name', (database) => {
  let t: TestApp;
  let receiver: Receiver;
  let dispatcher: WebhookDispatcher;
  let user: TestUser;

  beforeAll(async () => {
    receiver = new Receiver();
    const url = await receiver.start();
    // timeoutMs is the library's option (the service's config does not name it); AppModule passes it on.
    const webhook = { url, secret: SECRET, maxAttempts: 3, timeoutMs: TIMEOUT_MS } as AppConfig['webhook'];
    t = await TestApp.start(database, { webhook });
    dispatcher = t.app.get(WebhookDispatcher);
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    await dispatcher.deliverDue();
    receiver.requests.length = 0;
    receiver.statuses.length = 0;
    user = await t.createUser('member');
  });

  it('delivers a revocation as signed JSON naming the owner, never the secret', async () => {
    const token = await t.mintToken(user.session, { name: 'deploy-bot' });
    expect((await t.post(`${BASE}/${token.id}/revoke`, {}, { token: user.session })).status).toBe(200);
    await dispatcher.deliverDue();

    // token.created is not a webhook event; token.revoked is.
    expect(receiver.requests.map((r) => r.json.type)).toEqual(['token.revoked']);
    const [request] = receiver.requests;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-pat-event']).toBe('token.revoked');
    expect(request.headers['x-pat-delivery']).toBe(request.json.id);
    expect(Number(request.headers['x-pat-timestamp'])).toBe(Math.floor(t.clock.now().getTime() / 1000));
    expect(signedCorrectly(request)).toBe(true);
    expect(
      verifyWebhookSignature(SECRET, String(request.headers['x-pat-timestamp']), request.body, String(request.headers['x-pat-signature'])),
    ).toBe(true);
    expect(
      verifyWebhookSignature(
        'another-secret',
        String(request.headers['x-pat-timestamp']),
        request.body,
        String(request.headers['x-pat-signature']),
      ),
    ).toBe(false);
    expect(request.json).toMatchObject({
      type: 'token.revoked',
      user: { id: user.id, email: user.email },
      token: { id: token.id, name: 'deploy-bot' },
      actor: { type: 'user', userId: user.id },
    });
    expect(request.body).not.toContain(token.token);
    expect(request.body).not.toContain('digest');
  });

  it('retries with backoff after the receiver answered 500, with the same delivery id', async () => {
    const token = await t.mintToken(user.session);
    receiver.statuses.push(500);
    await t.post(`${BASE}/${token.id}/revoke`, {}, { token: user.session });
    await dispatcher.deliverDue();
    expect(receiver.requests).toHaveLength(1);

    // Not due again before the backoff (10 s) has passed.
    await dispatcher.deliverDue();
    expect(receiver.requests).toHaveLength(1);
    t.clock.advance(10 * SECOND);
    expect(await dispatcher.deliverDue()).toMatchObject({ delivered: 1 });
    expect(receiver.requests).toHaveLength(2);
    const [failed, retried] = receiver.requests;
    expect(retried.headers['x-pat-delivery']).toBe(failed.headers['x-pat-delivery']);
    expect(retried.body).toBe(failed.body);
    expect(signedCorrectly(failed) && signedCorrectly(retried)).toBe(true);

    t.clock.advance(DAY);
    await dispatcher.deliverDue();
    expect(receiver.requests).toHaveLength(2);
  });

  it('gives up after the configured attempts, doubling the wait between them', async () => {
    const token = await t.mintToken(user.session);
    receiver.statuses.push(500, 503, 500, 500);
    await t.post(`${BASE}/${token.id}/revoke`, {}, { token: user.session });
    await dispatcher.deliverDue();
    t.clock.advance(10 * SECOND);
    await dispatcher.deliverDue();
    expect(receiver.requests).toHaveLength(2);
    t.clock.advance(10 * SECOND);
    await dispatcher.deliverDue();
    expect(receiver.requests).toHaveLength(2);
    t.clock.advance(10 * SECOND);
    expect(await dispatcher.deliverDue()).toMatchObject({ failed: 1 });
    expect(receiver.requests).toHaveLength(3);
    t.clock.advance(DAY);
    await dispatcher.deliverDue();
    expect(receiver.requests).toHaveLength(3);
    receiver.statuses.length = 0;
  });

  it('notifies the owner of expiry notices, expiry and leaked-token revocation', async () => {
    const expiring = await t.mintToken(user.session, { expiresIn: '7d' });
    const leaked = await t.mintToken(user.session, { expiresIn: '30d' });
    const job = t.app.get(ExpiryJob);
    await job.run();
    expect((await t.post('/credentials/revoke', { credentials: [leaked.token] })).status).toBe(202);
    t.clock.advance(6 * DAY + 1);
    await job.run();
    t.clock.advance(DAY);
    await job.run();
    await dispatcher.deliverDue();

    const mine = receiver.requests.filter((r) => r.json.user.id === user.id);
    expect(mine.map((r) => `${r.json.type}:${r.json.token.name}:${r.json.details.threshold ?? ''}`)).toEqual([
      `token.expiring:${expiring.name}:7d`,
      // The default leads are 30, 7 and 1 days and on the day.
      `token.expiring:${leaked.name}:30d`,
      `token.leaked_revoked:${leaked.name}:`,
      `token.expiring:${expiring.name}:1d`,
      `token.expired:${expiring.name}:`,
    ]);
    expect(mine.every((r) => r.json.user.email === user.email && signedCorrectly(r))).toBe(true);
    expect(mine.find((r) => r.json.type === 'token.expired')!.json.actor).toEqual({ type: 'system' });
  });

  it('ends an attempt the receiver never answers after the per-attempt timeout, and retries it', async () => {
    const token = await t.mintToken(user.session);
    receiver.statuses.push(0);
    await t.post(`${BASE}/${token.id}/revoke`, {}, { token: user.session });
    const started = Date.now();
    expect(await dispatcher.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(TIMEOUT_MS + 8000);
    const [row] = await t.app
      .get(DataSource)
      .query(
        "SELECT status, attempts, last_error AS lastError FROM webhook_deliveries WHERE event_type = 'token.revoked' ORDER BY created_at DESC LIMIT 1",
      );
    expect({ status: row.status, attempts: Number(row.attempts) }).toEqual({ status: 'pending', attempts: 1 });
    expect(row.lastError).toMatch(/TimeoutError|abort/i);
    t.clock.advance(10 * SECOND);
    expect(await dispatcher.deliverDue()).toMatchObject({ delivered: 1 });
    expect(receiver.ofType('token.revoked')).toHaveLength(2);
  }, 30_000);

  it('delivers a rotation, and a reuse of the rotated-away secret, naming the token and never a secret', async () => {
    const token = await t.mintToken(user.session, { expiresIn: '30d' });
    t.clock.advance(3601 * SECOND);
    const rotated = await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: user.session });
    expect(rotated.status).toBe(200);
    // The old secret again: reuse of a retired secret revokes the token (reuse detection).
    expect((await t.get('/user/me', { token: token.token })).status).toBe(401);
    expect((await t.get('/user/me', { token: rotated.body.token })).status).toBe(401);
    await dispatcher.deliverDue();

    const mine = receiver.requests.filter((r) => r.json.token?.id === token.id);
    expect(mine.map((r) => r.json.type)).toEqual(['token.rotated', 'token.reuse_detected']);
    expect(mine.every((r) => r.json.user.id === user.id && signedCorrectly(r))).toBe(true);
    expect(mine[0].json.actor).toEqual({ type: 'user', userId: user.id });
    expect(mine[1].json.actor).toEqual({ type: 'system' });
    for (const r of mine) {
      expect(r.body).not.toContain(token.token);
      expect(r.body).not.toContain(rotated.body.token);
    }
  });
});
