import { Column, Entity, Index, OneToMany, PrimaryColumn } from 'typeorm';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';

/**
 * What a client sees (`effectiveStatus`). `pending`: waiting for an administrator's approval of a
 * sensitive scope (`TokenApprovals`). `suspended` is never stored: it is `suspendedAt` on an active token.
 */
export type TokenStatus = 'active' | 'expired' | 'revoked' | 'pending' | 'suspended';

/**
 * A personal access token. `userId` deliberately has no foreign key: a host app may keep its
 * users elsewhere (see `UserDirectory`). The stored `status` lags the clock (the expiry job is
 * bookkeeping); `effectiveStatus` is what callers see and what verification enforces.
 */
@Entity({ name: 'personal_access_tokens' })
@Index('IDX_pat_user_status', ['userId', 'status'])
@Index('IDX_pat_status_expires', ['status', 'expiresAt'])
@Index('UQ_pat_user_name_key', ['userId', 'nameKey'], { unique: true })
export class PersonalAccessToken {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** `tokenNameKey(name)`: what the per-user uniqueness of names compares. */
  @Column({ name: 'name_key', type: 'varchar', length: 64 })
  nameKey: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Index('UQ_pat_digest', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  digest: string;

  @Column({ type: 'varchar', length: 16 })
  status: TokenStatus;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'rotated_at', type: 'datetime', precision: 3, nullable: true })
  rotatedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'datetime', precision: 3, nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 45, nullable: true })
  lastUsedIp: string | null;

  /** Until when the secret that was last rotated away still works (rotation with an overlap); null: it does not. */
  @Column({ name: 'rotation_overlap_ends_at', type: 'datetime', precision: 3, nullable: true })
  rotationOverlapEndsAt?: Date | null;

  /** The user agent of the last recorded use (at most 255 characters, control characters replaced). */
  @Column({ name: 'last_used_user_agent', type: 'varchar', length: 255, nullable: true })
  lastUsedUserAgent: string | null;

  /** Addresses and CIDR ranges the token may be used from (`normalizeAllowList`); null for any address. */
  @Column({ name: 'allowed_ips', type: 'simple-json', nullable: true })
  allowedIps: string[] | null;

  /** Set while the token is suspended: it is refused everywhere until resumed. */
  @Column({ name: 'suspended_at', type: 'datetime', precision: 3, nullable: true })
  suspendedAt: Date | null;

  /** Who suspended it (a user id: the owner or an administrator). */
  @Column({ name: 'suspended_by', type: 'varchar', length: 36, nullable: true })
  suspendedBy: string | null;

  /** The last use of the rotated-away secret during its overlap. */
  @Column({ name: 'previous_secret_last_used_at', type: 'datetime', precision: 3, nullable: true })
  previousSecretLastUsedAt?: Date | null;

  /** The `expiresAt` the last expiry notice was sent for (a new expiry earns new notices). */
  @Column({ name: 'expiry_notice_for', type: 'datetime', precision: 3, nullable: true, select: false })
  expiryNoticeFor?: Date | null;

  /** The lead (days before expiry) of that notice: notices at longer leads for the same expiry are done. */
  @Column({ name: 'expiry_notice_lead_days', type: 'int', nullable: true, select: false })
  expiryNoticeLeadDays?: number | null;

  @OneToMany(() => PersonalAccessTokenScope, (scope) => scope.token)
  scopes?: PersonalAccessTokenScope[];
}

/**
 * An expiry that cannot be read (an invalid date) counts as past: verification fails closed. A
 * suspended token past its expiry is `expired` (resuming it would not bring it back).
 */
export function effectiveStatus(token: Pick<PersonalAccessToken, 'status' | 'expiresAt' | 'suspendedAt'>, now: Date): TokenStatus {
  const expirable = token.status === 'active' || token.status === 'pending';
  if (expirable && token.expiresAt !== null && !(token.expiresAt.getTime() > now.getTime())) return 'expired';
  if (token.status === 'active' && token.suspendedAt) return 'suspended';
  return token.status;
}
