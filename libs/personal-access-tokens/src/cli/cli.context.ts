import type { Command } from 'commander';
import { createApi, type Api } from './api.client';
import { CliError, ExitCode } from './cli.errors';
import { CredentialsStore, type CredentialsFile } from './credentials.store';
import type { Env, Terminal } from './terminal';

/** The service the README's quick start serves. */
export const DEFAULT_HOST = 'http://localhost:3000';

/** Options every command takes. */
export interface GlobalOptions {
  host?: string;
  json?: boolean;
}

/** A credential to call the service with, and where it came from. */
export interface Session {
  host: string;
  api: Api;
  /** `PAT_TOKEN`, or the credentials file's path. */
  source: string;
  /** The id of the stored token, when the credential came from the credentials file. */
  storedTokenId?: string;
}

/** What every command works with: the terminal, the environment and the credentials store. */
export class CliContext {
  /** Whether the running command was asked for JSON (errors then go to stderr as JSON too). */
  json = false;
  readonly store: CredentialsStore;

  constructor(
    readonly io: Terminal,
    readonly env: Env,
    readonly userAgent: string,
  ) {
    this.store = CredentialsStore.forEnvironment(env);
  }

  /** The global options of the command about to run. */
  begin(command: Command): GlobalOptions {
    const options = command.optsWithGlobals<GlobalOptions>();
    this.json = Boolean(options.json);
    return options;
  }

  /** The service to talk to: --host, else PAT_HOST, else the host last logged in to, else localhost:3000. */
  host(options: GlobalOptions, credentials?: CredentialsFile): string {
    if (options.host !== undefined) return normalizeHost(options.host, '--host');
    if (this.env.PAT_HOST) return normalizeHost(this.env.PAT_HOST, 'PAT_HOST');
    return credentials?.defaultHost ?? DEFAULT_HOST;
  }

  /** The credential for the host: PAT_TOKEN when set, else the one `pat auth login` stored. */
  session(options: GlobalOptions): Session {
    const credentials = this.readCredentials();
    const host = this.host(options, credentials);
    const fromEnvironment = this.env.PAT_TOKEN?.trim();
    if (fromEnvironment) return { host, api: this.api(host, fromEnvironment), source: 'PAT_TOKEN' };
    const stored = credentials.hosts[host];
    if (!stored) {
      throw new CliError(`Not logged in to ${host}`, ExitCode.Auth, {
        hint: 'Log in with `pat auth login --with-token < token.txt`, or set PAT_TOKEN.',
      });
    }
    return { host, api: this.api(host, stored.token), source: this.store.file, storedTokenId: stored.tokenId };
  }

  api(host: string, token: string): Api {
    return createApi(host, token, this.userAgent);
  }

  /** The credentials file, with a warning when others may read it. */
  readCredentials(): CredentialsFile {
    const credentials = this.store.read();
    const mode = this.store.looseMode();
    if (mode) this.io.warn(`${this.store.file} may be read by other users (mode ${mode}): run chmod 600 ${this.store.file}`);
    return credentials;
  }
}

/** The service's base URL, without a trailing slash; a usage error naming `source` when it is not one. */
export function normalizeHost(input: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(input);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new CliError(`${source} must be the service's address, such as https://pat.example.com or http://localhost:3000`, ExitCode.Usage);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Whether a token sent to `host` crosses the network unencrypted. */
export function isPlainHttpOffMachine(host: string): boolean {
  const { protocol, hostname } = new URL(host);
  return protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(hostname);
}
