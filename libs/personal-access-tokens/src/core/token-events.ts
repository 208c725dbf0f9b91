import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type TokenEventType =
  | 'token.created'
  | 'token.updated'
  | 'token.rotated'
  | 'token.regenerated'
  | 'token.revoked'
  | 'token.suspended'
  | 'token.resumed'
  | 'token.deleted'
  | 'token.reuse_detected'
  | 'token.expired'
  | 'token.expiring'
  | 'token.leaked_revoked';

/**
 * Something that happened to a token, after it was committed. The actor is the user who did it,
 * or `system` (expiry job, reuse detection, leaked-token revocation). Never carries a secret.
 */
export interface TokenEvent {
  type: TokenEventType;
  occurredAt: Date;
  /** The token's owner. */
  userId: string;
  tokenId: string;
  tokenName: string;
  actor: { type: 'user'; userId: string } | { type: 'system' };
  details?: Record<string, unknown>;
}

/** How a batch was published. */
export interface TokenEventPublication {
  /**
   * Every recorder already wrote these events inside the transaction that made the change
   * (`TokenEvents.record`): a recorder's after-commit listener must not write them again.
   */
  recorded: boolean;
}

export type TokenEventListener = (event: TokenEvent) => void | Promise<void>;
export type TokenEventBatchListener = (events: TokenEvent[], publication: TokenEventPublication) => void | Promise<void>;
/**
 * A batch's events as SQL, for a recorder that writes them set-based (`INSERT ... SELECT`) rather
 * than shipping every row's values: `sql` selects one row per event of its part of the batch,
 * with the columns `token_id`, `user_id` (the owner), `token_name` and `details` (the event's
 * details as JSON text). Offered only for a batch whose events share their type and `occurredAt`
 * and whose actor is the system; the sources together cover the batch, each event once.
 */
export interface TokenEventSource {
  sql: string;
  parameters: unknown[];
  /** How many events (rows) it selects. */
  rows: number;
}

/**
 * Writes a batch of events durably with the manager of the transaction that made the change;
 * `sources`, when the publisher offers them, are the same events as SQL (see `TokenEventSource`).
 */
export type TokenEventRecorder = (manager: EntityManager, events: TokenEvent[], sources?: TokenEventSource[]) => Promise<void>;

/**
 * In-process publication of token events: the audit trail, webhooks and the verification cache
 * subscribe. Jobs that change many tokens publish them as one batch, which batch listeners handle
 * with multi-row writes. A failing listener is logged and does not affect the others or the caller.
 *
 * Listeners that keep events durably (the audit trail, the webhook outbox) also subscribe a
 * recorder. A publisher that changes many tokens at once (the expiry job) calls `record` inside
 * its own transaction, so that the change and every record of it commit together: a process that
 * stops half-way leaves no token changed without its events. It then publishes the batch with
 * `{ recorded: true }` after the commit, for the in-memory listeners (the verification cache).
 *
 * @example
 * events.subscribe(async (event) => { if (event.type === 'token.revoked') await notify(event); });
 */
@Injectable()
export class TokenEvents {
  private readonly logger = new Logger(TokenEvents.name);
  private readonly listeners: TokenEventBatchListener[] = [];
  private readonly recorders: TokenEventRecorder[] = [];

  /** One call per event. */
  subscribe(listener: TokenEventListener): () => void {
    return this.subscribeBatch(async (events) => {
      for (const event of events) await listener(event);
    });
  }

  /** One call per published batch. */
  subscribeBatch(listener: TokenEventBatchListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** A writer of durable records, called by `record` inside the publisher's transaction. */
  subscribeRecorder(recorder: TokenEventRecorder): () => void {
    this.recorders.push(recorder);
    return () => this.recorders.splice(this.recorders.indexOf(recorder), 1);
  }

  /**
   * Inside the transaction that changed the tokens: every recorder writes its rows with `manager`.
   * A recorder's error propagates, so that the transaction rolls back with the change. Publish the
   * same events with `publishAll(events, { recorded: true })` once it has committed.
   */
  async record(manager: EntityManager, events: TokenEvent[], sources?: TokenEventSource[]): Promise<void> {
    if (events.length === 0) return;
    for (const recorder of this.recorders) await recorder(manager, events, sources);
  }

  publish(event: TokenEvent): Promise<void> {
    return this.publishAll([event]);
  }

  async publishAll(events: TokenEvent[], options: { recorded?: boolean } = {}): Promise<void> {
    if (events.length === 0) return;
    const publication: TokenEventPublication = { recorded: options.recorded ?? false };
    for (const listener of this.listeners) {
      try {
        await listener(events, publication);
      } catch (error) {
        this.logger.error({ message: 'Token event listener failed', type: events[0].type, events: events.length, error: String(error) });
      }
    }
  }
}
