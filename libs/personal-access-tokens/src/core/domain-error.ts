/** One entry of a validation error's `details`. */
export interface ErrorDetail {
  field: string;
  reason: string;
}

/**
 * A failure the API reports on purpose: a stable machine-readable `code`, the HTTP status it maps
 * to, and a message safe to show a client. The one exception filter turns it into the error body;
 * `headers` carries what the response must also say (RFC 6750 challenges, Retry-After).
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, headers?: Record<string, string>) {
    super(409, code, message, undefined, headers);
  }
}

export class BadRequestError extends DomainError {
  constructor(code: string, message: string, details?: ErrorDetail[]) {
    super(400, code, message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(code: string, message: string, headers?: Record<string, string>) {
    super(403, code, message, undefined, headers);
  }
}

export class ValidationFailedError extends BadRequestError {
  constructor(details: ErrorDetail[]) {
    super('validation_failed', 'The request is invalid: ' + details.map((d) => `${d.field} ${d.reason}`).join('; '), details);
  }
}

export class TooManyRequestsError extends DomainError {
  constructor(retryAfterSeconds: number, message = 'Too many requests; try again later') {
    super(429, 'rate_limited', message, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}
