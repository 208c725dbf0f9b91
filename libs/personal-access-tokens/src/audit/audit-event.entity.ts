import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AuditAuthMethod } from '../core/audit-context';

export type { AuditAuthMethod };
export type AuditOutcome = 'success' | 'denied' | 'error';

/**
 * One action, as the audit trail keeps it: who (user, email, token id and name, auth method),
 * what (action, target), how it ended (outcome, status) and where from (ip, user agent, request
 * id). `subjectUserId` is whose trail the event belongs to: the caller for requests, the owner for
 * system actions on a token. Never a secret, a digest or a request body.
 *
 * A roll-up row stands for `count` requests of one kind in one minute (counted reads, repeated
 * refusals): `occurredAt` is the first of them, `lastOccurredAt` the last; a single event has
 * count 1 and no `lastOccurredAt`.
 */
@Entity({ name: 'audit_events' })
@Index('IDX_audit_token_time', ['tokenId', 'occurredAt'])
@Index('IDX_audit_target_time', ['targetId', 'occurredAt'])
@Index('IDX_audit_subject_time', ['subjectUserId', 'occurredAt'])
@Index('IDX_audit_time', ['occurredAt'])
export class AuditEvent {
  /** Time-ordered (UUIDv7 layout), so that inserts append to the primary key. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt: Date;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true })
  actorUserId: string | null;

  @Column({ name: 'actor_email', type: 'varchar', length: 320, nullable: true })
  actorEmail: string | null;

  @Column({ name: 'subject_user_id', type: 'varchar', length: 36, nullable: true })
  subjectUserId: string | null;

  @Column({ name: 'token_id', type: 'varchar', length: 36, nullable: true })
  tokenId: string | null;

  @Column({ name: 'token_name', type: 'varchar', length: 100, nullable: true })
  tokenName: string | null;

  @Column({ name: 'auth_method', type: 'varchar', length: 32 })
  authMethod: AuditAuthMethod;

  @Column({ type: 'varchar', length: 100 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 50, nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Column({ name: 'duration_ms', type: 'int', nullable: true })
  durationMs: number | null;

  @Column({ name: 'event_count', type: 'int', default: 1 })
  count: number;

  @Column({ name: 'last_occurred_at', type: 'datetime', precision: 3, nullable: true })
  lastOccurredAt: Date | null;

  /** JSON text: small, allow-listed facts (error code, a new token's name and scopes). */
  @Column({ type: 'text', nullable: true })
  details: string | null;
}
