import { Clock } from '../../libs/personal-access-tokens/src';

/** A clock tests move by hand: expiry and rotation windows without sleeping. */
export class FakeClock extends Clock {
  private current: number;

  constructor(start = new Date('2026-06-01T12:00:00.000Z')) {
    super();
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(date: Date): void {
    this.current = date.getTime();
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
