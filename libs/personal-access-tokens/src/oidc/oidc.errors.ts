import { DomainError, ForbiddenError } from '../core/domain-error';

/** The callback did not come back from the sign-in this browser started (wrong or reused state, no cookie). */
export class OidcStateMismatchError extends DomainError {
  constructor() {
    super(400, 'oidc_state_mismatch', 'This sign-in was not started here, or was already completed; start signing in again');
  }
}

/** The provider's answer did not check out (nonce, code, issuer, signature...): nothing was signed in. */
export class OidcSignInFailedError extends DomainError {
  constructor(reason: string) {
    super(401, 'oidc_sign_in_failed', `Signing in with the identity provider failed: ${reason}`);
  }
}

export class OidcRoleNotMappedError extends ForbiddenError {
  constructor(claim: string) {
    super(
      'oidc_role_not_mapped',
      `Your account at the identity provider has no ${claim} value that is allowed to sign in here; ask an administrator`,
    );
  }
}

export class OidcUserInactiveError extends ForbiddenError {
  constructor() {
    super('user_inactive', 'This account is deactivated');
  }
}

export class OidcEmailMissingError extends ForbiddenError {
  constructor() {
    super(
      'oidc_email_missing',
      'The identity provider did not vouch for an email address (email, email_verified); it is needed to sign in',
    );
  }
}
