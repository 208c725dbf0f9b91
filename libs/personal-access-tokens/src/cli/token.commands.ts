import { Command, InvalidArgumentError, Option } from 'commander';
import { EXPIRES_IN, SORT_FIELDS, SORT_ORDERS, TOKEN_STATUSES } from './api.choices';
import { send, sendNoContent, type CreatedToken, type Token } from './api.client';
import type { CliContext, Session } from './cli.context';
import { CliError, ExitCode } from './cli.errors';
import { confirm } from './input.prompts';
import { renderFields, renderTable } from './table.layout';
import { resolveToken, type TokenRef } from './token.reference';
import { expiry, TOKEN_COLUMNS, tokenFields, tokenLabel } from './token.view';

const TOKENS = '/user/me/personal-access-tokens';
const TOKEN = '/user/me/personal-access-tokens/{id}';
const REFERENCE = 'the token: its id, the start of its id (as `pat token list` shows it) or its name';

/** A whole number above 0, for --page and the like. */
export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return Number(value);
}

/** Collects a repeatable option; "a,b" counts as two. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];
}

const expiresInOption = () => new Option('--expires-in <duration>', 'a lifetime from now').choices(EXPIRES_IN);
const expiresAtOption = () =>
  new Option('--expires-at <date>', 'an expiry date: ISO 8601 with a time zone, such as 2027-01-31T00:00:00Z').conflicts('expiresIn');
const neverExpiresOption = () => new Option('--never-expires', 'no expiry (where the policy allows it)').conflicts(['expiresIn', 'expiresAt']);

interface ExpiryOptions {
  expiresIn?: (typeof EXPIRES_IN)[number];
  expiresAt?: string;
  neverExpires?: boolean;
}

/** The expiry a rotation asks for (a rotated token always expires). */
function expiryBody(options: ExpiryOptions) {
  return {
    ...(options.expiresIn && { expiresIn: options.expiresIn }),
    ...(options.expiresAt !== undefined && { expiresAt: options.expiresAt }),
  };
}

/** The expiry a new or regenerated token asks for, where `null` is no expiry. */
function expiryOrNeverBody(options: ExpiryOptions) {
  return options.neverExpires ? { expiresAt: null } : expiryBody(options);
}

/** `pat token ...`: the caller's own tokens, through /user/me/personal-access-tokens. */
export function registerTokenCommands(program: Command, context: CliContext): void {
  const { io } = context;
  const tokens = program.command('token').description('Manage your personal access tokens');

  tokens
    .command('list')
    .alias('ls')
    .description('List your tokens, newest first')
    .addOption(new Option('--status <status>', 'only tokens in this state').choices(TOKEN_STATUSES))
    .option('--search <text>', 'only tokens whose name contains this')
    .addOption(new Option('--sort <field>', 'sort by').choices(Object.keys(SORT_FIELDS)).default('created'))
    .addOption(new Option('--order <order>', 'sort order').choices(SORT_ORDERS).default('desc'))
    .option('--page <n>', 'page number', positiveInteger, 1)
    .option('--page-size <n>', 'tokens per page (at most 100)', positiveInteger, 30)
    .action(async (options, command: Command) => {
      const session = context.session(context.begin(command));
      const query = {
        status: options.status,
        search: options.search,
        sort: SORT_FIELDS[options.sort as keyof typeof SORT_FIELDS],
        order: options.order,
        page: options.page,
        pageSize: options.pageSize,
      };
      const { data } = await send(session.host, session.api.GET(TOKENS, { params: { query } }));
      if (context.json) return io.json(data);
      if (!data.items.length) {
        io.say(data.total ? `No tokens on page ${data.page} (there are ${data.total})` : 'No tokens match.');
        return;
      }
      for (const line of renderTable(TOKEN_COLUMNS, data.items, io.width(), io.painter(io.stdout))) io.print(line);
      const first = (data.page - 1) * data.pageSize + 1;
      const last = first + data.items.length - 1;
      if (data.total > last) io.say(`Showing ${first}-${last} of ${data.total}: the next ones with --page ${data.page + 1}`);
    });

  tokens
    .command('create')
    .description('Create a token: its secret alone goes to stdout, shown this once')
    .requiredOption('-n, --name <name>', 'a name unique among your tokens')
    .option('-d, --description <text>', 'what the token is for')
    .option('-s, --scope <scope>', 'a scope to grant, such as personal_access_tokens:read (repeat it, or separate with commas)', collect, [])
    .addOption(expiresInOption())
    .addOption(expiresAtOption())
    .addOption(neverExpiresOption())
    .addHelpText('after', '\nExample:\n  PAT=$(pat token create --name ci-deploy --scope personal_access_tokens:read --expires-in 30d)')
    .action(async (options, command: Command) => {
      const session = context.session(context.begin(command));
      const body = {
        name: options.name,
        scopes: options.scope,
        ...(options.description !== undefined && { description: options.description }),
        ...expiryOrNeverBody(options),
      };
      const { data } = await send(session.host, session.api.POST(TOKENS, { body }));
      showSecret(context, session, data, 'Created');
    });

  tokens
    .command('show')
    .alias('view')
    .description('Show one of your tokens')
    .argument('<token>', REFERENCE)
    .action(async (reference: string, _options, command: Command) => {
      const session = context.session(context.begin(command));
      const { id } = await resolveToken(session.host, session.api, reference);
      const { data } = await send(session.host, session.api.GET(TOKEN, { params: { path: { id } } }));
      showToken(context, data);
    });

  tokens
    .command('edit')
    .description("Rename a token or change its description (its scopes: pat token scopes; its expiry can't be extended)")
    .argument('<token>', REFERENCE)
    .option('-n, --name <name>', 'a new name')
    .addOption(new Option('-d, --description <text>', 'a new description'))
    .addOption(new Option('--clear-description', 'remove the description').conflicts('description'))
    .action(async (reference: string, options, command: Command) => {
      const session = context.session(context.begin(command));
      const body = {
        ...(options.name !== undefined && { name: options.name }),
        ...(options.description !== undefined && { description: options.description }),
        ...(options.clearDescription && { description: null }),
      };
      if (!Object.keys(body).length) throw new CliError('Nothing to change: give --name, --description or --clear-description', ExitCode.Usage);
      const { id } = await resolveToken(session.host, session.api, reference);
      const { data } = await send(session.host, session.api.PATCH(TOKEN, { params: { path: { id } }, body }));
      if (!context.json) io.say(`✓ Updated token ${tokenLabel(data)}`);
      showToken(context, data);
    });

  tokens
    .command('rotate')
    .description('Give an active token a new secret (on stdout); the old one stops working at once')
    .argument('<token>', REFERENCE)
    .addOption(expiresInOption())
    .addOption(expiresAtOption())
    .action(async (reference: string, options, command: Command) => {
      const session = context.session(context.begin(command));
      const { id } = await resolveToken(session.host, session.api, reference);
      const { data } = await send(session.host, session.api.PATCH('/user/me/personal-access-tokens/{id}/rotate', { params: { path: { id } }, body: expiryBody(options) }));
      showSecret(context, session, data, 'Rotated');
    });

  tokens
    .command('regenerate')
    .description('Make a revoked or expired token active again with a new secret (on stdout)')
    .argument('<token>', REFERENCE)
    .addOption(expiresInOption())
    .addOption(expiresAtOption())
    .addOption(neverExpiresOption())
    .action(async (reference: string, options, command: Command) => {
      const session = context.session(context.begin(command));
      const { id } = await resolveToken(session.host, session.api, reference);
      const { data } = await send(
        session.host,
        session.api.POST('/user/me/personal-access-tokens/{id}/regenerate', { params: { path: { id } }, body: expiryOrNeverBody(options) }),
      );
      showSecret(context, session, data, 'Regenerated');
    });

  tokens
    .command('revoke')
    .description('Revoke a token: the next request made with it is refused')
    .argument('<token>', REFERENCE)
    .action(async (reference: string, _options, command: Command) => {
      const session = context.session(context.begin(command));
      const { id } = await resolveToken(session.host, session.api, reference);
      const { data } = await send(session.host, session.api.POST('/user/me/personal-access-tokens/{id}/revoke', { params: { path: { id } } }));
      if (context.json) io.json(data);
      else io.say(`✓ Revoked token ${tokenLabel(data)}`);
      warnIfInUse(context, session, data.id, 'revoked');
    });

  tokens
    .command('delete')
    .description('Delete a token for good (its audit trail stays)')
    .argument('<token>', REFERENCE)
    .option('-y, --yes', 'do not ask for confirmation (needed when pat cannot ask: no terminal)')
    .action(async (reference: string, options, command: Command) => {
      const session = context.session(context.begin(command));
      const token = await resolveToken(session.host, session.api, reference);
      if (!options.yes) await confirmDeletion(context, session, token);
      await sendNoContent(session.host, session.api.DELETE(TOKEN, { params: { path: { id: token.id } } }));
      if (context.json) io.json({ id: token.id, deleted: true });
      else io.say(`✓ Deleted token ${tokenLabel(token)}`);
      warnIfInUse(context, session, token.id, 'deleted');
    });

  registerScopeCommands(tokens, context);
}

function registerScopeCommands(tokens: Command, context: CliContext): void {
  const { io } = context;
  const scopes = tokens.command('scopes').description("Change a token's scopes, within your role");

  scopes
    .command('add')
    .description('Add scopes to a token')
    .argument('<token>', REFERENCE)
    .argument('<scope...>', 'scopes, such as reports:read or reports:read:42')
    .action(async (reference: string, wanted: string[], _options, command: Command) => {
      const session = context.session(context.begin(command));
      const token = await resolveToken(session.host, session.api, reference);
      const added: string[] = [];
      const alreadyHad: string[] = [];
      let scopes: string[] = [];
      for (const scope of wanted) {
        const { data, status } = await send(
          session.host,
          session.api.POST('/user/me/personal-access-tokens/{id}/scopes', { params: { path: { id: token.id } }, body: { scope } }),
        );
        (status === 201 ? added : alreadyHad).push(scope);
        scopes = data.scopes;
        if (!context.json) io.say(status === 201 ? `✓ Added ${scope}` : `• ${scope}: the token already had it`);
      }
      if (context.json) io.json({ tokenId: token.id, scopes, added, alreadyHad });
      else io.say(`Scopes of ${tokenLabel(token)}: ${scopes.join(', ') || '(none)'}`);
    });

  scopes
    .command('remove')
    .alias('rm')
    .description('Remove scopes from a token')
    .argument('<token>', REFERENCE)
    .argument('[scope...]', 'scopes to remove')
    .option('--all', 'remove every scope (the token then only identifies you)')
    .action(async (reference: string, unwanted: string[], options, command: Command) => {
      const session = context.session(context.begin(command));
      if (options.all === Boolean(unwanted.length)) throw new CliError('Name the scopes to remove, or give --all', ExitCode.Usage);
      const token = await resolveToken(session.host, session.api, reference);
      if (options.all) {
        await sendNoContent(session.host, session.api.DELETE('/user/me/personal-access-tokens/{id}/scopes', { params: { path: { id: token.id } } }));
        if (context.json) io.json({ tokenId: token.id, scopes: [] });
        else io.say(`✓ Removed every scope of ${tokenLabel(token)}`);
        return;
      }
      for (const scope of unwanted) {
        await sendNoContent(session.host, session.api.DELETE('/user/me/personal-access-tokens/{id}/scopes/{scope}', { params: { path: { id: token.id, scope } } }));
        if (!context.json) io.say(`✓ Removed ${scope} from ${tokenLabel(token)}`);
      }
      if (context.json) io.json({ tokenId: token.id, removed: unwanted });
    });
}

function showToken(context: CliContext, token: Token): void {
  const { io } = context;
  if (context.json) return io.json(token);
  for (const line of renderFields(tokenFields(token), io.width(), io.painter(io.stdout))) io.print(line);
}

/**
 * The secret alone on stdout (so that `$(pat token create ...)` is the secret), the rest on stderr.
 * When the token is the one pat is logged in with, the stored credential follows the new secret.
 */
function showSecret(context: CliContext, session: Session, token: CreatedToken, verb: string): void {
  const { io } = context;
  if (context.json) io.json(token);
  else io.print(token.token);
  io.say(`✓ ${verb} token ${tokenLabel(token)}, expires ${expiry(token)}; scopes: ${token.scopes.join(', ') || '(none)'}`);
  io.say('  The secret is shown this once: store it now.');
  if (token.id === session.storedTokenId) {
    const credentials = context.store.read();
    credentials.hosts[session.host] = { token: token.token, tokenId: token.id };
    context.store.write(credentials);
    io.say(`  pat is logged in to ${session.host} with this token: ${context.store.file} now holds the new secret.`);
  } else if (session.source === 'PAT_TOKEN' && verb === 'Rotated') {
    io.warn('if PAT_TOKEN held this token, its old secret no longer works: set PAT_TOKEN to the new one');
  }
}

function warnIfInUse(context: CliContext, session: Session, id: string, what: string): void {
  if (id === session.storedTokenId) {
    context.io.warn(`pat was logged in to ${session.host} with this token, now ${what}: log in with another (pat auth login --with-token)`);
  }
}

async function confirmDeletion(context: CliContext, session: Session, token: TokenRef): Promise<void> {
  const { io } = context;
  if (!io.stdin.isTTY || !io.stderr.isTTY) {
    throw new CliError('Deleting a token needs --yes when pat cannot ask (no terminal)', ExitCode.Usage);
  }
  let label = tokenLabel(token);
  if (token.name === undefined) {
    const found = await send(session.host, session.api.GET(TOKEN, { params: { path: { id: token.id } } }));
    label = tokenLabel(found.data);
  }
  if (!(await confirm(io, `Delete token ${label} for good?`))) throw new CliError('Not deleted', ExitCode.Failure);
}
