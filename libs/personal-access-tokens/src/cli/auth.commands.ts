import type { Command } from 'commander';
import { send, type Api, type Me, type Token } from './api.client';
import { isPlainHttpOffMachine, type CliContext } from './cli.context';
import { CliError, ExitCode } from './cli.errors';
import { readToken } from './input.prompts';
import { renderFields } from './table.layout';
import { expiry, tokenLabel } from './token.view';

const SELF = '/user/me/personal-access-tokens/self';

/** `pat auth ...`: the credential pat calls the service with. */
export function registerAuthCommands(program: Command, context: CliContext): void {
  const { io } = context;
  const auth = program.command('auth').description('Log in to the service with a personal access token, see how, log out');

  auth
    .command('login')
    .description('Log in with a personal access token read from standard input (never from an argument)')
    .option('--with-token', 'read the token from standard input')
    .addHelpText(
      'after',
      [
        '',
        'The token is checked against the service, then stored in the credentials file (mode 0600).',
        'On a terminal, pat asks for it without echoing it; else it reads it from stdin:',
        '  pat auth login --host https://pat.example.com --with-token < token.txt',
      ].join('\n'),
    )
    .action(async (options: { withToken?: boolean }, command: Command) => {
      const globals = context.begin(command);
      const credentials = context.readCredentials();
      const host = context.host(globals, credentials);
      const secret = await readToken(io, Boolean(options.withToken));
      const token = await checkToken(host, context.api(host, secret));
      credentials.hosts[host] = { token: secret, tokenId: token.id };
      credentials.defaultHost = host;
      context.store.write(credentials);
      if (context.json) io.json({ host, token, credentialsFile: context.store.file });
      else io.say(`✓ Logged in to ${host} with token ${tokenLabel(token)}; stored in ${context.store.file}`);
      if (isPlainHttpOffMachine(host)) io.warn(`${host} is plain http: the token crosses the network unencrypted`);
      if (context.env.PAT_TOKEN) io.warn('PAT_TOKEN is set: pat uses it rather than the stored credential until you unset it');
    });

  auth
    .command('status')
    .description('Show the host, the token pat uses and what it may do')
    .action(async (_options, command: Command) => {
      const session = context.session(context.begin(command));
      const { data: token } = await send(session.host, session.api.GET(SELF));
      const user = await optionalUser(session.host, session.api);
      if (context.json) return io.json({ host: session.host, source: session.source, token, user });
      const prefix = tokenPrefix(session.source === 'PAT_TOKEN' ? (context.env.PAT_TOKEN ?? '') : storedSecret(context, session.host));
      io.print(session.host);
      io.print(`  ${io.painter(io.stdout)('green', '✓')} Logged in with token ${tokenLabel(token)}, ${token.status}, from ${session.source}`);
      const fields: Array<[string, string]> = [
        ...(user ? [['User', `${user.email} (${user.role})`] as [string, string]] : []),
        ['Scopes', token.scopes.join(', ') || '(none)'],
        ['Expires', expiry(token)],
        ['Token', `${prefix}********`],
      ];
      for (const line of renderFields(fields, io.width() - 2, io.painter(io.stdout))) io.print(`  ${line}`);
    });

  auth
    .command('logout')
    .description('Forget the stored credential for the host (the token itself keeps working until revoked)')
    .action(async (_options, command: Command) => {
      const globals = context.begin(command);
      const credentials = context.readCredentials();
      const host = context.host(globals, credentials);
      const stored = credentials.hosts[host];
      if (!stored) throw new CliError(`Not logged in to ${host}`, ExitCode.Auth);
      delete credentials.hosts[host];
      if (credentials.defaultHost === host) credentials.defaultHost = Object.keys(credentials.hosts)[0];
      context.store.write(credentials);
      if (context.json) io.json({ host, loggedOut: true, tokenId: stored.tokenId });
      else io.say(`✓ Logged out of ${host}; the token still works until it expires or you revoke it (pat token revoke ${stored.tokenId})`);
      if (context.env.PAT_TOKEN) io.warn('PAT_TOKEN is still set: pat keeps using it');
    });
}

/** The token behind `api`'s credential, or why the service refused it. */
async function checkToken(host: string, api: Api): Promise<Token> {
  try {
    return (await send(host, api.GET(SELF))).data;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (error.facts.code === 'not_a_token_request') {
      throw new CliError('That is not a personal access token (a session token?): log in with a personal access token', ExitCode.Usage);
    }
    if (error.exitCode === ExitCode.Auth) {
      throw new CliError(`${host} refused the token: ${error.message}`, ExitCode.Auth, {
        ...error.facts,
        hint: 'Check that it is whole, still valid, and issued by this host (--host).',
      });
    }
    throw error;
  }
}

/** The calling user, when the token may read it (scope user:read); null when it may not. */
async function optionalUser(host: string, api: Api): Promise<Me | null> {
  try {
    return (await send(host, api.GET('/user/me'))).data;
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.Refused) return null;
    throw error;
  }
}

function storedSecret(context: CliContext, host: string): string {
  return context.store.read().hosts[host]?.token ?? '';
}

/** The part of a secret before its random characters ("pat_"): enough to recognise it, nothing to use. */
function tokenPrefix(secret: string): string {
  const underscore = secret.indexOf('_');
  return underscore > 0 && underscore < 16 ? secret.slice(0, underscore + 1) : '';
}
