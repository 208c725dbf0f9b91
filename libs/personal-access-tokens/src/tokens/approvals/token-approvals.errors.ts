import { ConflictError, ForbiddenError, NotFoundError } from '../../core/domain-error';

export class ApprovalRequestNotFoundError extends NotFoundError {
  constructor() {
    super('approval_request_not_found', 'No approval request for this token');
  }
}

/** Approve and deny decide a pending request once: of concurrent decisions exactly one wins. */
export class ApprovalAlreadyDecidedError extends ConflictError {
  constructor(status: string) {
    super('approval_already_decided', `This request is already ${status}; it cannot be decided again`);
  }
}

export class ApprovalRequiredError extends ForbiddenError {
  constructor(scopes: string[]) {
    super(
      'approval_required',
      `${scopes.join(', ')} ${scopes.length === 1 ? 'needs' : 'need'} an administrator's approval: create a new token asking for ${scopes.length === 1 ? 'it' : 'them'}`,
    );
  }
}
