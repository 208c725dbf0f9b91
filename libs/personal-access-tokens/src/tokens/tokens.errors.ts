import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../core/domain-error';

export class TokenNotFoundError extends NotFoundError {
  constructor() {
    super('token_not_found', 'Personal access token not found');
  }
}

export class TokenNameTakenError extends ConflictError {
  constructor(name: string) {
    super('token_name_taken', `You already have a token named "${name}"`);
  }
}

export class TokenLimitReachedError extends ConflictError {
  constructor(limit: number) {
    super('token_limit_reached', `You already have ${limit} live tokens, the most allowed; revoke or delete one first`);
  }
}

export class TokenNotActiveError extends ConflictError {
  constructor(action: 'rotated' | 'regenerated', status: string) {
    const hint = status === 'suspended' ? 'resume it first' : action === 'rotated' ? 'regenerate it instead' : 'rotate it instead';
    super('token_state_conflict', `A ${status} token cannot be ${action}; ${hint}`);
  }
}

export class RotationTooSoonError extends ConflictError {
  constructor(availableAt: Date, now: Date) {
    const seconds = Math.max(1, Math.ceil((availableAt.getTime() - now.getTime()) / 1000));
    super('rotation_too_soon', `This token was rotated recently; it can be rotated again at ${availableAt.toISOString()}`, {
      'Retry-After': String(seconds),
    });
  }
}

export class RotationConflictError extends ConflictError {
  constructor() {
    super('rotation_conflict', 'The token changed while it was being rotated; fetch it and try again');
  }
}

export class TokenWithoutExpiryError extends BadRequestError {
  constructor() {
    super('token_without_expiry', 'Tokens without an expiry date cannot be rotated');
  }
}

export class NotATokenRequestError extends ForbiddenError {
  constructor() {
    super('not_a_token_request', 'This route describes the calling personal access token; the request was not made with one');
  }
}

export class ScopeNotOnTokenError extends NotFoundError {
  // The scope comes from the URL, where a client may have pasted a secret: never echoed.
  constructor() {
    super('scope_not_found', 'The token does not have this scope');
  }
}

export class TokenStateConflictError extends ConflictError {
  constructor(action: 'suspended' | 'resumed', status: string) {
    super('token_state_conflict', `A ${status} token cannot be ${action}`);
  }
}

export class SuspendedByAdministratorError extends ForbiddenError {
  constructor() {
    super('suspended_by_administrator', 'An administrator suspended this token; only an administrator can resume it');
  }
}
