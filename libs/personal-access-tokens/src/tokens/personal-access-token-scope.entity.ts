import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { PersonalAccessToken } from './personal-access-token.entity';

/** One scope granted to one token; the primary key makes a scope appear at most once. */
@Entity({ name: 'personal_access_token_scopes' })
export class PersonalAccessTokenScope {
  @PrimaryColumn({ name: 'token_id', type: 'varchar', length: 36 })
  tokenId: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  scope: string;

  @ManyToOne(() => PersonalAccessToken, (token) => token.scopes, { onDelete: 'CASCADE', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'token_id', foreignKeyConstraintName: 'FK_pat_scopes_token' })
  token?: PersonalAccessToken;
}
