import { BadRequestError, DomainError } from './domain-error';

/** Who a refused credential belonged to, when it identified anyone (for the audit trail). */
export interface CredentialSubject {
  userId: string;
  tokenId?: string;
  tokenName?: string;
  /**
   * Why it was refused, for the owner's audit trail only (the caller gets the same 401 as for
   * any invalid token): `address_not_allowed` (outside the token's IP allow-list).
   */
  reason?: 'address_not_allowed';
}

/** Same status, code and message for unknown, revoked, rotated-away and expired: no oracle. */
export class InvalidTokenError extends DomainError {
  constructor(
    realm: string,
    readonly subject?: CredentialSubject,
  ) {
    super(401, 'invalid_token', 'The access token is invalid, expired or revoked', undefined, {
      'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token", error_description="The access token is invalid, expired or revoked"`,
    });
  }
}

/** No credential at all: RFC 6750 says the challenge then carries no error code. */
export class MissingCredentialsError extends DomainError {
  constructor(realm: string) {
    super(401, 'missing_credentials', 'Authentication required: send Authorization: Bearer <token>', undefined, {
      'WWW-Authenticate': `Bearer realm="${realm}"`,
    });
  }
}

export class InvalidRequestError extends BadRequestError {
  constructor(realm: string, description: string) {
    super('invalid_request', description);
    Object.assign(this.headers, {
      'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_request", error_description="${description.replace(/"/g, "'")}"`,
    });
  }
}
