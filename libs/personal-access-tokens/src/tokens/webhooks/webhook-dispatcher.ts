import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, LessThan, LessThanOrEqual, Repository } from 'typeorm';
import { Clock } from '../../core/clock';
import { insertRows } from '../../core/raw-entity';
import { TokenEvent, TokenEvents, TokenEventType } from '../../core/token-events';
import { UnitOfWork } from '../../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { UserDirectory } from '../../core/user-directory';
import { WebhookDelivery } from './webhook-delivery.entity';
import { signWebhookPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';

/** The token events the webhook receives. */
export const WEBHOOK_EVENT_TYPES: readonly TokenEventType[] = [
  'token.expiring',
  'token.expired',
  'token.rotated',
  'token.revoked',
  'token.suspended',
  'token.resumed',
  'token.reuse_detected',
  'token.leaked_revoked',
];

/** The JSON body of a webhook request. Never carries a secret or a digest. */
export interface WebhookPayload {
  /** The delivery id, the same on every retry (deduplicate on it). */
  id: string;
  type: TokenEventType;
  occurredAt: string;
  /** The token's owner, whom the receiver may notify. */
  user: { id: string; email: string | null };
  token: { id: string; name: string };
  actor: TokenEvent['actor'];
  details: Record<string, unknown>;
}

export interface WebhookRunResult {
  delivered: number;
  failed: number;
}

const BATCH = 50;
const MAX_BACKOFF_SECONDS = 3600;
const POLL_INTERVAL_MS = 5000;

/**
 * Delivers token events to the configured webhook through a durable outbox table: an event is
 * stored when it is published, then POSTed as JSON, signed (`X-PAT-Signature`, see
 * `signWebhookPayload`), and retried with exponential backoff until it succeeds (2xx) or runs out
 * of attempts. Each attempt is claimed with a conditional update, so with several instances each
 * attempt is made by one of them; a crash mid-attempt is retried once its lease runs out.
 *
 * @example
 * await app.get(WebhookDispatcher).deliverDue(); // deliver what is due now (tests, CLIs)
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private chain: Promise<unknown> = Promise.resolve();
  private passQueued = false;
  private poller?: NodeJS.Timeout;
  private unsubscribe: Array<() => void> = [];

  constructor(
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly events: TokenEvents,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    if (!this.options.webhook) return;
    this.unsubscribe = [
      // Events their publisher recorded inside its own transaction are in the outbox already.
      this.events.subscribeBatch((events, { recorded }) => (recorded ? this.kickFor(events) : this.enqueue(events))),
      this.events.subscribeRecorder((manager, events) => this.store(manager, events)),
    ];
  }

  onApplicationBootstrap(): void {
    if (!this.options.webhook) return;
    // Retries become due while nothing else happens: look for them now and then.
    this.poller = setInterval(() => this.kick(), POLL_INTERVAL_MS);
    this.poller.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.poller);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    await this.chain;
  }

  /** Stores the events the webhook wants for delivery (multi-row inserts) and starts delivering at once. */
  async enqueue(events: TokenEvent[]): Promise<void> {
    if (!this.wanted(events).length) return;
    await this.unitOfWork.run((manager) => this.store(manager, events));
    this.kick();
  }

  /**
   * Writes the outbox rows of the events the webhook wants with `manager`, inside the caller's
   * transaction: multi-row inserts, the owners' emails looked up in one go when the directory can.
   */
  async store(manager: EntityManager, events: TokenEvent[]): Promise<void> {
    const wanted = this.wanted(events);
    if (wanted.length === 0) return;
    const emails = await this.emailsOf([...new Set(wanted.map((event) => event.userId))]);
    const now = this.clock.now();
    const deliveries = wanted.map((event): WebhookDelivery => {
      const id = randomUUID();
      const payload: WebhookPayload = {
        id,
        type: event.type,
        occurredAt: event.occurredAt.toISOString(),
        user: { id: event.userId, email: emails.get(event.userId) ?? null },
        token: { id: event.tokenId, name: event.tokenName },
        actor: event.actor,
        details: event.details ?? {},
      };
      return {
        id,
        eventType: event.type,
        payload: JSON.stringify(payload),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        deliveredAt: null,
        lastError: null,
      };
    });
    await insertRows(manager, WebhookDelivery, deliveries);
  }

  private wanted(events: TokenEvent[]): TokenEvent[] {
    return this.options.webhook ? events.filter((event) => WEBHOOK_EVENT_TYPES.includes(event.type)) : [];
  }

  private kickFor(events: TokenEvent[]): void {
    if (this.wanted(events).length) this.kick();
  }

  private async emailsOf(userIds: string[]): Promise<Map<string, string | null>> {
    const emails = new Map<string, string | null>();
    if (this.directory.findByIds) {
      for (const user of await this.directory.findByIds(userIds)) emails.set(user.id, user.email);
    } else {
      for (const userId of userIds) emails.set(userId, (await this.directory.findById(userId))?.email ?? null);
    }
    return emails;
  }

  /** Attempts every delivery that is due now; passes of one instance never overlap. */
  deliverDue(): Promise<WebhookRunResult> {
    const pass = this.chain.then(() => this.pass());
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  /** Deletes delivered and given-up deliveries whose last attempt is older than `before`. */
  async purgeFinished(before: Date): Promise<void> {
    await this.unitOfWork.run((manager) =>
      manager.delete(WebhookDelivery, { status: In(['delivered', 'failed']), nextAttemptAt: LessThan(before) }),
    );
  }

  private kick(): void {
    if (this.passQueued) return;
    this.passQueued = true;
    this.deliverDue().catch((error: unknown) => this.logger.warn({ message: 'Webhook delivery pass failed', error: String(error) }));
  }

  private async pass(): Promise<WebhookRunResult> {
    this.passQueued = false;
    const result: WebhookRunResult = { delivered: 0, failed: 0 };
    if (!this.options.webhook) return result;
    for (;;) {
      const due = await this.deliveries.find({
        where: { status: 'pending', nextAttemptAt: LessThanOrEqual(this.clock.now()) },
        order: { nextAttemptAt: 'ASC' },
        take: BATCH,
      });
      for (const delivery of due) {
        const outcome = await this.attempt(delivery);
        if (outcome) result[outcome]++;
      }
      if (due.length < BATCH) return result;
    }
  }

  /** One attempt, if this instance wins the claim on it. */
  private async attempt(delivery: WebhookDelivery): Promise<keyof WebhookRunResult | undefined> {
    const webhook = this.options.webhook!;
    const attempt = delivery.attempts + 1;
    const lease = new Date(this.clock.now().getTime() + webhook.timeoutMs + 30_000);
    const claim = await this.unitOfWork.run((manager) =>
      manager.update(
        WebhookDelivery,
        { id: delivery.id, status: 'pending', attempts: delivery.attempts },
        { attempts: attempt, nextAttemptAt: lease },
      ),
    );
    if (claim.affected !== 1) return undefined;

    const error = await this.send(delivery);
    const now = this.clock.now();
    const mine = { id: delivery.id, attempts: attempt };
    if (!error) {
      await this.unitOfWork.run((manager) =>
        manager.update(WebhookDelivery, mine, { status: 'delivered', deliveredAt: now, nextAttemptAt: now, lastError: null }),
      );
      return 'delivered';
    }
    const givingUp = attempt >= webhook.maxAttempts;
    const backoffSeconds = Math.min(webhook.initialBackoffSeconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS);
    this.logger.warn({
      message: givingUp ? 'Webhook delivery failed; giving up' : 'Webhook delivery failed; will retry',
      deliveryId: delivery.id,
      eventType: delivery.eventType,
      attempt,
      error,
    });
    await this.unitOfWork.run((manager) =>
      manager.update(WebhookDelivery, mine, {
        status: givingUp ? 'failed' : 'pending',
        nextAttemptAt: givingUp ? now : new Date(now.getTime() + backoffSeconds * 1000),
        lastError: error.slice(0, 255),
      }),
    );
    return givingUp ? 'failed' : undefined;
  }

  /** POSTs the payload; answers the error, or undefined on a 2xx. */
  private async send(delivery: WebhookDelivery): Promise<string | undefined> {
    const webhook = this.options.webhook!;
    const timestamp = String(Math.floor(this.clock.now().getTime() / 1000));
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'personal-access-tokens-webhook/1',
          'X-PAT-Event': delivery.eventType,
          'X-PAT-Delivery': delivery.id,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhookPayload(webhook.secret, timestamp, delivery.payload),
        },
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(webhook.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
}
