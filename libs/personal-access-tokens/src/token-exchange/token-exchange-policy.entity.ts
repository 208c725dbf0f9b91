import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Claim name -> the value it must have: one string, or any of several; `*` in a value matches any run of characters. */
export type ClaimConditions = Record<string, string | string[]>;

/**
 * A trust policy of RFC 8693 token exchange: ID tokens from `issuer`, for `audience`, whose claims
 * meet every condition, are exchanged for a short-lived PAT of `userId` with `scopes`.
 */
@Entity({ name: 'token_exchange_policies' })
@Index('IDX_token_exchange_policies_issuer', ['issuer'])
export class TokenExchangePolicy {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index('UQ_token_exchange_policies_name', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 255 })
  issuer: string;

  @Column({ type: 'varchar', length: 255 })
  audience: string;

  @Column({ type: 'simple-json' })
  conditions: ClaimConditions;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'simple-json' })
  scopes: string[];

  @Column({ name: 'token_lifetime_seconds', type: 'int' })
  tokenLifetimeSeconds: number;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
