import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An exchanged ID token (digest of issuer and `jti`), kept until it expires: the primary key refuses a replay, cluster-wide. */
@Entity({ name: 'token_exchange_replays' })
@Index('IDX_token_exchange_replays_expires', ['expiresAt'])
export class TokenExchangeReplay {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;
}
