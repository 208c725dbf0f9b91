import { Writable } from 'node:stream';
import { createLogger, PinoNestLogger } from '../../src/logging/logger';

/**
 * Every log line an app under test writes, and every secret it handed out or was given: on
 * `check()` none of those secrets may appear in a line. Each app a test starts (TestApp, the
 * Express app below it) logs through one of these.
 */
export class LogScan {
  readonly lines: string[] = [];
  readonly secrets = new Set<string>();

  constructor(initialSecrets: string[] = []) {
    for (const secret of initialSecrets) this.secrets.add(secret);
  }

  /** A Nest logger writing the app's structured log (pino, as in production) into `lines`. */
  nestLogger(level: string): PinoNestLogger {
    return new PinoNestLogger(this.pino(level));
  }

  pino(level: string) {
    return createLogger(level, new Writable({ write: (chunk, _enc, done) => (this.lines.push(String(chunk)), done()) }));
  }

  /** Records `token`, `accessToken` and `password` values found in a request or response body. */
  remember(value: unknown): void {
    if (!value || typeof value !== 'object') return;
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string' && ['token', 'accessToken', 'password'].includes(key) && field.length >= 8) this.secrets.add(field);
      else if (typeof field === 'object') this.remember(field);
    }
  }

  /** Fails if any secret reached a log line. */
  check(): void {
    const leaks = this.lines.filter((line) => [...this.secrets].some((secret) => line.includes(secret)));
    if (leaks.length) throw new Error(`${leaks.length} log line(s) contain a token or password, e.g. ${leaks[0].slice(0, 120)}…`);
  }
}
