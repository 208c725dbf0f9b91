import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { auditStorage } from '../core/audit-context';
import { requestIdOf } from '../core/request-id';
import { TokenEvent, TokenEventSource } from '../core/token-events';
import { UserDirectory } from '../core/user-directory';
import { AuditEventBuilder } from './audit-event.builder';
import { AuditEvent } from './audit-event.entity';
import { AuditWriter, timeOrderedId } from './audit-writer';

/**
 * Token events that no request of the owner's caused (expiry, reuse detection, leaked-token
 * revocation, an administrator's change) as audit rows. `AuditTrail` subscribes it to
 * `TokenEvents`; it shares nothing with the per-request path but the writer.
 */
@Injectable()
export class SystemAuditRecorder {
  constructor(
    private readonly writer: AuditWriter,
    private readonly builder: AuditEventBuilder,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
  ) {}

  /**
   * Expiry, reuse detection, leaked-token revocation, and whatever someone other than the owner
   * did to a token (an administrator revoking it): recorded with the owner as subject, one
   * multi-row write per batch, in a transaction of its own.
   */
  async record(events: TokenEvent[]): Promise<void> {
    const rows = await this.systemEventRows(events);
    if (rows.length) await this.writer.write(...rows);
  }

  /**
   * The same, inside the transaction that changed the tokens (the expiry job's thousands at once):
   * from the publisher's SQL sources when it offers them (`INSERT ... SELECT`: no row's values go
   * through the driver twice), else as multi-row inserts.
   */
  async recordWithin(manager: EntityManager, events: TokenEvent[], sources?: TokenEventSource[]): Promise<void> {
    if (sources && events.length) {
      const [first] = events;
      const action = this.actionOf(first);
      await this.writer.insertSelected(manager, sources, { occurredAt: first.occurredAt, action, targetType: 'personal_access_token' });
      return;
    }
    const rows = await this.systemEventRows(events);
    if (rows.length) await this.writer.insert(manager, rows, { large: true });
  }

  private actionOf(event: TokenEvent): string {
    return `personal_access_token.${event.type.replace(/^token\./, '')}`;
  }

  private async systemEventRows(events: TokenEvent[]): Promise<AuditEvent[]> {
    const rows: AuditEvent[] = [];
    for (const event of events) {
      const row = await this.systemEventRow(event);
      if (row) rows.push(row);
    }
    return rows;
  }

  private async systemEventRow(event: TokenEvent): Promise<AuditEvent | undefined> {
    const byOwner = event.actor.type === 'user' && event.actor.userId === event.userId;
    if (byOwner) return undefined;
    const actorUserId = event.actor.type === 'user' ? event.actor.userId : null;
    const actor = actorUserId ? await this.directory.findById(actorUserId).catch(() => null) : null;
    const request = auditStorage.getStore();
    return {
      id: timeOrderedId(),
      occurredAt: event.occurredAt,
      actorUserId,
      actorEmail: actor?.email ?? null,
      subjectUserId: event.userId,
      tokenId: event.tokenId,
      tokenName: event.tokenName,
      authMethod: 'system',
      action: this.actionOf(event),
      targetType: 'personal_access_token',
      targetId: event.tokenId,
      outcome: 'success',
      statusCode: null,
      ip: null,
      userAgent: null,
      requestId: request ? requestIdOf(request.request) : null,
      durationMs: null,
      count: 1,
      lastOccurredAt: null,
      details: event.details ? JSON.stringify(this.builder.scrubbed(event.details)) : null,
    };
  }
}
