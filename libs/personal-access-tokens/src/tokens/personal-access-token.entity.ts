import { Column, Entity, Index, OneToMany, PrimaryColumn } from 'typeorm';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';

/** What a client sees (`effectiveStatus`). `suspended` is never stored: it is `suspendedAt` on an active token. */
export type TokenStatus = 'active' | 'expired' | 'revoked' | 'suspended';

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

  /** The `expiresAt` the 7-day expiry notice was sent for (a new expiry earns a new notice). */
  @Column({ name: 'expiry_notice_7d_for', type: 'datetime', precision: 3, nullable: true, select: false })
  expiryNotice7dFor?: Date | null;

  /** The `expiresAt` the 1-day expiry notice was sent for. */
  @Column({ name: 'expiry_notice_1d_for', type: 'datetime', precision: 3, nullable: true, select: false })
  expiryNotice1dFor?: Date | null;

  @OneToMany(() => PersonalAccessTokenScope, (scope) => scope.token)
  scopes?: PersonalAccessTokenScope[];
}

/**
 * An expiry that cannot be read (an invalid date) counts as past: verification fails closed. A
 * suspended token past its expiry is `expired` (resuming it would not bring it back).
 */
export function effectiveStatus(token: Pick<PersonalAccessToken, 'status' | 'expiresAt' | 'suspendedAt'>, now: Date): TokenStatus {
  if (token.status === 'active' && token.expiresAt !== null && !(token.expiresAt.getTime() > now.getTime())) return 'expired';
  if (token.status === 'active' && token.suspendedAt) return 'suspended';
  return token.status;
}
