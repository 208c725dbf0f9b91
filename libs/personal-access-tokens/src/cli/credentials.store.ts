import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CliError, ExitCode } from './cli.errors';
import type { Env } from './terminal';

/** What `pat auth login` keeps for one host. */
export interface HostCredential {
  token: string;
  /** The token's id, to know when a command rotates, revokes or deletes the credential in use. */
  tokenId: string;
}

export interface CredentialsFile {
  /** The host used when neither --host nor PAT_HOST names one: the last one logged in to. */
  defaultHost?: string;
  hosts: Record<string, HostCredential>;
}

/**
 * The credentials file, `$XDG_CONFIG_HOME/pat/credentials.json` (or `~/.config/pat/...`): the
 * directory is 0700 and the file 0600, written whole to a temporary file and renamed over, so
 * that no reader ever sees half of it and no other user can read it at any moment.
 */
export class CredentialsStore {
  readonly file: string;

  constructor(readonly directory: string) {
    this.file = join(directory, 'credentials.json');
  }

  /** The store in the user's configuration directory, by the XDG base directory rules (a relative XDG_CONFIG_HOME is ignored). */
  static forEnvironment(env: Env): CredentialsStore {
    const xdg = env.XDG_CONFIG_HOME;
    const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
    return new CredentialsStore(join(base, 'pat'));
  }

  read(): CredentialsFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if (isMissing(error)) return { hosts: {} };
      throw new CliError(`Cannot read ${this.file}: ${describe(error)}`, ExitCode.Failure);
    }
    if (!text.trim()) return { hosts: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isCredentialsFile(parsed)) {
      throw new CliError(`${this.file} is not a credentials file pat wrote`, ExitCode.Failure, {
        hint: `Log in again after removing it: rm ${this.file}`,
      });
    }
    return parsed;
  }

  /** File permissions that let someone else read the credential, as an octal string; undefined when only its owner can. */
  looseMode(): string | undefined {
    try {
      const mode = statSync(this.file).mode & 0o777;
      return mode & 0o077 ? mode.toString(8).padStart(4, '0') : undefined;
    } catch {
      return undefined;
    }
  }

  write(credentials: CredentialsFile): void {
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory as it is: this one holds secrets.
    chmodSync(this.directory, 0o700);
    const temporary = join(this.directory, `.credentials.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(credentials, null, 2)}\n`);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      throw new CliError(`Cannot write ${this.file}: ${describe(error)}`, ExitCode.Failure);
    }
    closeSync(fd);
    renameSync(temporary, this.file);
  }
}

function isCredentialsFile(value: unknown): value is CredentialsFile {
  if (typeof value !== 'object' || value === null || !('hosts' in value)) return false;
  const { hosts } = value;
  if (typeof hosts !== 'object' || hosts === null) return false;
  return Object.values(hosts).every(
    (entry: unknown) =>
      typeof entry === 'object' &&
      entry !== null &&
      'token' in entry &&
      typeof entry.token === 'string' &&
      'tokenId' in entry &&
      typeof entry.tokenId === 'string',
  );
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
