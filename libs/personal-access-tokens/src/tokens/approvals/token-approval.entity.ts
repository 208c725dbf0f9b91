import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { PersonalAccessToken } from '../personal-access-token.entity';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/**
 * A token's request for the sensitive scopes it asked for (`requiresApproval` in the catalog):
 * one per token, decided once. While it is `pending` the token is too (refused as not active);
 * `approved` makes the token active, `denied` and `expired` revoke it. Who decided, when and why
 * stay on the row (and in the audit trail).
 */
@Entity({ name: 'personal_access_token_approvals' })
@Index('IDX_pat_approvals_status_expires', ['status', 'expiresAt'])
export class TokenApproval {
  @PrimaryColumn({ name: 'token_id', type: 'varchar', length: 36 })
  tokenId: string;

  @ManyToOne(() => PersonalAccessToken, { onDelete: 'CASCADE', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'token_id', foreignKeyConstraintName: 'FK_pat_approvals_token' })
  token?: PersonalAccessToken;

  /** The token's owner. */
  @Index('IDX_pat_approvals_user')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  status: ApprovalStatus;

  /** The scopes that needed approval, as JSON (the token's other scopes needed none). */
  @Column({ type: 'text' })
  scopes: string;

  @Column({ name: 'requested_at', type: 'datetime', precision: 3 })
  requestedAt: Date;

  /** Undecided by then, the request expires and its token is revoked. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3, nullable: true })
  decidedAt: Date | null;

  /** The administrator who approved or denied it (null: expired). */
  @Column({ name: 'decided_by', type: 'varchar', length: 36, nullable: true })
  decidedBy: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;
}
