import { Injectable, Logger } from '@nestjs/common';

export type TokenEventType =
  | 'token.created'
  | 'token.updated'
  | 'token.rotated'
  | 'token.regenerated'
  | 'token.revoked'
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

export type TokenEventListener = (event: TokenEvent) => void | Promise<void>;
export type TokenEventBatchListener = (events: TokenEvent[]) => void | Promise<void>;

/**
 * In-process publication of token events: the audit trail, webhooks and the verification cache
 * subscribe. Jobs that change many tokens publish them as one batch, which batch listeners handle
 * with multi-row writes. A failing listener is logged and does not affect the others or the caller.
 *
 * @example
 * events.subscribe(async (event) => { if (event.type === 'token.revoked') await notify(event); });
 */
@Injectable()
export class TokenEvents {
  private readonly logger = new Logger(TokenEvents.name);
  private readonly listeners: TokenEventBatchListener[] = [];

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

  publish(event: TokenEvent): Promise<void> {
    return this.publishAll([event]);
  }

  async publishAll(events: TokenEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        await listener(events);
      } catch (error) {
        this.logger.error({ message: 'Token event listener failed', type: events[0].type, events: events.length, error: String(error) });
      }
    }
  }
}
