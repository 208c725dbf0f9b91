/** What `pat` exits with, so that scripts can tell failures apart (listed in `pat --help` and the README). */
export const ExitCode = {
  Ok: 0,
  /** Anything not listed below. */
  Failure: 1,
  /** A usage error or input the service refused as invalid (400). */
  Usage: 2,
  /** Not logged in, or the credential was refused (401). */
  Auth: 3,
  /** No such token among yours (404). */
  NotFound: 4,
  /** Refused: a missing scope or privilege (403), a conflict (409), too many requests (429). */
  Refused: 5,
  /** The service could not be reached or failed (5xx). */
  Unavailable: 6,
  /** Cancelled with Ctrl-C at a prompt. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetail {
  field: string;
  reason: string;
}

/** What an error says besides its message: the API's own fields when it came from the API. */
export interface ErrorFacts {
  code?: string;
  statusCode?: number;
  details?: ErrorDetail[];
  requestId?: string;
  /** What to do about it, in a sentence. */
  hint?: string;
}

/** A failure `pat` explains in words and ends with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly facts: ErrorFacts = {},
  ) {
    super(message);
  }
}

/** The exit code of an HTTP error status. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401) return ExitCode.Auth;
  if (status === 404) return ExitCode.NotFound;
  if (status === 403 || status === 409 || status === 429) return ExitCode.Refused;
  if (status >= 500) return ExitCode.Unavailable;
  if (status >= 400) return ExitCode.Usage;
  return ExitCode.Failure;
}
