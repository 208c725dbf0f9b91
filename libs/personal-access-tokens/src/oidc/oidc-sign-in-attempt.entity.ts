import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A sign-in sent to the provider and not yet back: the PKCE verifier and the nonce stay on the
 * server, keyed by a digest of the state. Consumed (deleted) by the one callback that brings the
 * state back, so that a state works once, on any instance.
 */
@Entity({ name: 'oidc_sign_in_attempts' })
@Index('IDX_oidc_sign_in_attempts_expires', ['expiresAt'])
export class OidcSignInAttempt {
  @PrimaryColumn({ name: 'state_digest', type: 'varchar', length: 64 })
  stateDigest: string;

  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier: string;

  @Column({ type: 'varchar', length: 128 })
  nonce: string;

  /** Where the signed-in person goes: the page (a cookie) or an API client (a session token). */
  @Column({ type: 'varchar', length: 16 })
  target: 'page' | 'api';

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;
}
