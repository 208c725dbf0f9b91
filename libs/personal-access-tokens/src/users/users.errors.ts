import { BadRequestError, ConflictError } from '../core/domain-error';

export { UserNotFoundError } from '../core/user-directory';

export class EmailTakenError extends ConflictError {
  constructor() {
    super('email_taken', 'A user with this email already exists');
  }
}

export class UnknownRoleError extends BadRequestError {
  constructor(role: string) {
    super('unknown_role', `There is no role named "${role}"; see GET /roles`, [{ field: 'role', reason: 'is not a known role' }]);
  }
}

export class LastAdministratorError extends ConflictError {
  constructor() {
    super('last_administrator', 'This is the only active user who can manage users: make another user an administrator first');
  }
}
