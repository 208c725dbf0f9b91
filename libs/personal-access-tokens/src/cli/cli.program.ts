import { Command, CommanderError } from 'commander';
import { FLAG_OF_FIELD } from './api.choices';
import { registerAuditCommand } from './audit.commands';
import { registerAuthCommands } from './auth.commands';
import { CliContext } from './cli.context';
import { CliError, ExitCode } from './cli.errors';
import { printable } from './table.layout';
import { Terminal, type Env, type InputStream, type OutputStream } from './terminal';
import { registerTokenCommands } from './token.commands';

/** The version of the package the CLI ships in (a test holds it equal to package.json's). */
export const CLI_VERSION = '0.1.0';

const MORE_HELP = `
Environment:
  PAT_HOST         the service's address (default: the host last logged in to, else http://localhost:3000)
  PAT_TOKEN        a token to use rather than the stored credential (CI jobs)
  XDG_CONFIG_HOME  the credentials file is $XDG_CONFIG_HOME/pat/credentials.json (default ~/.config/pat/)
  NO_COLOR         no colour even on a terminal; COLUMNS: table width when stdout is not a terminal (80)

Exit codes:
  0 done                      4 no such token among yours
  1 failure                   5 refused: missing scope or privilege, conflict, rate limit
  2 usage or invalid input    6 the service is unreachable or failing
  3 not logged in, or the credential was refused
`;

export interface Streams {
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
}

/** The `pat` command tree, its output going to the context's terminal. */
export function createProgram(context: CliContext): Command {
  const { io } = context;
  const program = new Command('pat')
    .description('Personal access tokens from a terminal: log in with one, then manage your tokens and read their audit trail')
    .version(CLI_VERSION)
    .option('--host <url>', "the service's address (or PAT_HOST)")
    .option('--json', 'print results as JSON for scripts (errors too, on stderr)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(pat --help for usage)')
    .addHelpText('after', MORE_HELP);
  registerAuthCommands(program, context);
  registerTokenCommands(program, context);
  registerAuditCommand(program, context);
  return program;
}

/** Runs `pat` with `argv` (without node and the script) and answers its exit code; never throws. */
export async function runCli(argv: string[], streams: Streams, env: Env): Promise<number> {
  const io = new Terminal(streams.stdin, streams.stdout, streams.stderr, env);
  const context = new CliContext(io, env, `pat-cli/${CLI_VERSION} node/${process.versions.node}`);
  try {
    await createProgram(context).parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    // Commander has already said what was wrong with the command line (or shown the help asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    const failure = error instanceof CliError ? error : new CliError(`pat failed: ${error instanceof Error ? error.message : String(error)}`, ExitCode.Failure);
    report(context, failure);
    return failure.exitCode;
  }
}

/** The error in words on stderr: the API's message and code, each field's reason under the flag it came from. */
function report(context: CliContext, error: CliError): void {
  const { io } = context;
  const { code, details = [], hint, requestId } = error.facts;
  if (context.json) {
    io.stderr.write(`${JSON.stringify({ error: { message: error.message, ...error.facts }, exitCode: error.exitCode })}\n`);
    return;
  }
  const paint = io.painter(io.stderr);
  // A validation message lists the details again: its headline is enough above them.
  const message = code === 'validation_failed' && details.length ? error.message.split(': ')[0] : error.message;
  io.say(`${paint('red', 'error:')} ${printable(message)}${code ? ` (${code})` : ''}`);
  for (const { field, reason } of details) {
    const flag = FLAG_OF_FIELD[field];
    io.say(`  ${printable(flag ? `${flag} (${field})` : field)}: ${printable(reason)}`);
  }
  if (hint) io.say(hint);
  if (requestId) io.say(paint('dim', `request id: ${requestId}`));
}
