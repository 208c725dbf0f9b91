import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The link of a user to an account at an OpenID provider: (issuer, subject) names it for good, an email may change. */
@Entity({ name: 'oidc_identities' })
@Index('UQ_oidc_identities_issuer_subject', ['issuer', 'subject'], { unique: true })
@Index('IDX_oidc_identities_user', ['userId'])
export class OidcIdentity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 255 })
  issuer: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'last_sign_in_at', type: 'datetime', precision: 3 })
  lastSignInAt: Date;
}
