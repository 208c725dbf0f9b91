/**
 * The source of "now" for everything time-dependent (expiry, rotation windows, last-used).
 * Inject it instead of calling `new Date()` so tests can move time without sleeping.
 *
 * @example
 * constructor(private readonly clock: Clock) {}
 * const expired = token.expiresAt <= this.clock.now();
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
