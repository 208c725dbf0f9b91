import { DomainError, ErrorDetail } from '../core/domain-error';

/** The `error` codes of RFC 6749 section 5.2 (and RFC 8693 section 2.2.2) this endpoint answers with. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope' | 'invalid_target';

/**
 * A refused exchange: answered 400 with RFC 6749's `error` and `error_description` (see
 * `OAuthErrorFilter`), and a stable `code` saying which check failed.
 */
export class TokenExchangeError extends DomainError {
  constructor(
    readonly oauthError: OAuthErrorCode,
    code: string,
    message: string,
    details?: ErrorDetail[],
  ) {
    super(400, code, message, details);
  }
}

export class TokenExchangePolicyNotFoundError extends DomainError {
  constructor() {
    super(404, 'token_exchange_policy_not_found', 'Token exchange policy not found');
  }
}

export class TokenExchangePolicyNameTakenError extends DomainError {
  constructor() {
    super(409, 'token_exchange_policy_name_taken', 'A token exchange policy with this name exists');
  }
}
