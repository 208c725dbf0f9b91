import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { PersonalAccessToken } from './personal-access-token.entity';

/**
 * An address a token was used from, with when it was first and last seen there (GitLab's "IP
 * usage"). The last-use write-behind keeps the five most recently seen per token.
 */
@Entity({ name: 'personal_access_token_addresses' })
export class TokenAddress {
  @PrimaryColumn({ name: 'token_id', type: 'varchar', length: 36 })
  tokenId: string;

  @PrimaryColumn({ type: 'varchar', length: 45 })
  ip: string;

  @Column({ name: 'first_seen_at', type: 'datetime', precision: 3 })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt: Date;

  @ManyToOne(() => PersonalAccessToken, { onDelete: 'CASCADE', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'token_id', foreignKeyConstraintName: 'FK_pat_addresses_token' })
  token?: PersonalAccessToken;
}
