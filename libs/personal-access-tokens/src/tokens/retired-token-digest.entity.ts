import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { PersonalAccessToken } from './personal-access-token.entity';

/**
 * Digests of secrets that were rotated away. Presenting one again means the old secret leaked
 * (GitLab's reuse detection): the token it belonged to is revoked.
 */
@Entity({ name: 'personal_access_token_retired_digests' })
export class RetiredTokenDigest {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  digest: string;

  @Index('IDX_pat_retired_token')
  @Column({ name: 'token_id', type: 'varchar', length: 36 })
  tokenId: string;

  @ManyToOne(() => PersonalAccessToken, { onDelete: 'CASCADE', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'token_id', foreignKeyConstraintName: 'FK_pat_retired_token' })
  token?: PersonalAccessToken;

  @Column({ name: 'retired_at', type: 'datetime', precision: 3 })
  retiredAt: Date;
}
