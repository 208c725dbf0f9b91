import { Command, Option } from 'commander';
import { open } from 'node:fs/promises';
import { AUDIT_OUTCOMES, EXPORT_FORMATS } from './api.choices';
import { send, type AuditEvent, type AuditEventPage } from './api.client';
import type { CliContext, Session } from './cli.context';
import { CliError, ExitCode } from './cli.errors';
import { renderTable, type Column } from './table.layout';
import { resolveToken } from './token.reference';
import { positiveInteger } from './token.commands';

const EVENTS = '/user/me/audit-events';
const PROGRESS_INTERVAL_MS = 100;

const AUDIT_COLUMNS: Column<AuditEvent>[] = [
  { header: 'TIME (UTC)', cell: (event) => `${event.occurredAt.slice(0, 10)} ${event.occurredAt.slice(11, 19)}` },
  { header: 'ACTION', cell: (event) => event.action, min: 30, ellipsis: 'middle' },
  {
    header: 'RESULT',
    cell: (event) => `${event.outcome}${event.statusCode === null ? '' : ` ${event.statusCode}`}`,
    style: (event) => (event.outcome === 'success' ? undefined : 'red'),
  },
  { header: 'TOKEN', cell: (event) => event.tokenName ?? '-', min: 8, dropOrder: 2 },
  { header: 'IP', cell: (event) => event.ip ?? '-', dropOrder: 1 },
];

interface AuditOptions {
  token?: string;
  action?: string;
  outcome?: (typeof AUDIT_OUTCOMES)[number];
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
  export?: (typeof EXPORT_FORMATS)[number];
  output?: string;
}

/** `pat audit`: the caller's audit trail, or one token's, as a table, JSON, or an export. */
export function registerAuditCommand(program: Command, context: CliContext): void {
  program
    .command('audit')
    .description("Read your audit trail, or one token's (what was done with it and to it), newest first")
    .option('-t, --token <token>', "one token's trail (its id, the start of its id, or its name)")
    .option('--action <action>', 'only this action, such as personal_access_token.create')
    .addOption(new Option('--outcome <outcome>', 'only events that ended so').choices(AUDIT_OUTCOMES))
    .option('--from <date>', 'events at or after this ISO 8601 instant, such as 2026-12-01T00:00:00Z')
    .option('--to <date>', 'events before this instant')
    .option('--limit <n>', 'events per page (at most 200)', positiveInteger)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--all', 'every page, following the cursor')
    .addOption(
      new Option('--export <format>', 'every matching event, streamed as CSV or NDJSON').choices(EXPORT_FORMATS).conflicts(['cursor', 'limit', 'all']),
    )
    .option('-o, --output <file>', 'write the export to this file (mode 0600) rather than stdout')
    .action(async (options: AuditOptions, command: Command) => {
      const session = context.session(context.begin(command));
      if (options.output !== undefined && !options.export) throw new CliError('--output goes with --export csv|ndjson', ExitCode.Usage);
      const filters = {
        action: options.action,
        outcome: options.outcome,
        from: options.from,
        to: options.to,
        ...(options.token !== undefined && { tokenId: (await resolveToken(session.host, session.api, options.token)).id }),
      };
      if (options.export) return exportEvents(context, session, filters, options.export, options.output);
      await listEvents(context, session, filters, options);
    });
}

interface Filters {
  action?: string;
  outcome?: (typeof AUDIT_OUTCOMES)[number];
  from?: string;
  to?: string;
  tokenId?: string;
}

async function listEvents(context: CliContext, session: Session, filters: Filters, options: AuditOptions): Promise<void> {
  const { io } = context;
  const items: AuditEvent[] = [];
  let cursor = options.cursor;
  let page: AuditEventPage;
  do {
    const query = { ...filters, limit: options.limit, cursor };
    page = (await send(session.host, session.api.GET(EVENTS, { params: { query } }))).data;
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (options.all && cursor);
  if (context.json) return io.json({ items, nextCursor: page.nextCursor });
  if (!items.length) io.say('No events match.');
  else for (const line of renderTable(AUDIT_COLUMNS, items, io.width(), io.painter(io.stdout))) io.print(line);
  if (page.nextCursor) io.say(`More: the same command with --cursor ${page.nextCursor} (or --all)`);
}

/** Streams every matching event to a file or stdout, with a running count on stderr when it is a terminal. */
async function exportEvents(
  context: CliContext,
  session: Session,
  filters: Filters,
  format: (typeof EXPORT_FORMATS)[number],
  output: string | undefined,
): Promise<void> {
  const { io } = context;
  const { data: body } = await send(session.host, session.api.GET(EVENTS, { params: { query: { ...filters, format } }, parseAs: 'stream' }));
  if (!body) throw new CliError(`${session.host} answered the export with no body`, ExitCode.Unavailable);
  const file = output === undefined ? undefined : await open(output, 'w', 0o600);
  const counter = new RecordCounter(format);
  const progress = new Progress(context, output ?? 'stdout');
  try {
    // An existing file keeps its mode on open: the trail names addresses and actions, so only its owner reads it.
    await file?.chmod(0o600);
    for await (const chunk of body) {
      if (file) await file.write(chunk);
      else await io.write(chunk);
      counter.add(chunk);
      progress.update(counter.records, counter.bytes);
    }
  } finally {
    progress.end();
    await file?.close();
  }
  if (context.json && output !== undefined) io.json({ file: output, format, events: counter.records, bytes: counter.bytes });
  io.say(`✓ Exported ${counter.records} event${counter.records === 1 ? '' : 's'} as ${format.toUpperCase()} to ${output ?? 'stdout'}`);
}

/** Counts the records of a CSV (outside quotes, minus its header) or NDJSON stream as it passes. */
class RecordCounter {
  bytes = 0;
  private lines = 0;
  private quoted = false;
  private pending = false;
  private readonly decoder = new TextDecoder();

  constructor(private readonly format: (typeof EXPORT_FORMATS)[number]) {}

  add(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    for (const character of this.decoder.decode(chunk, { stream: true })) {
      if (character === '"' && this.format === 'csv') this.quoted = !this.quoted;
      else if (character === '\n' && !this.quoted) {
        this.lines++;
        this.pending = false;
        continue;
      }
      this.pending = true;
    }
  }

  get records(): number {
    const lines = this.lines + (this.pending ? 1 : 0);
    return this.format === 'csv' ? Math.max(0, lines - 1) : lines;
  }
}

/** "Exporting to events.csv: 1,234 events (210 KB)", rewritten in place on a terminal; nothing otherwise. */
class Progress {
  private last = 0;
  private shown = false;

  constructor(
    private readonly context: CliContext,
    private readonly target: string,
  ) {}

  update(records: number, bytes: number): void {
    const { stderr } = this.context.io;
    const now = Date.now();
    if (!stderr.isTTY || now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.shown = true;
    stderr.write(`\r\u001b[2KExporting to ${this.target}: ${records.toLocaleString('en')} events (${Math.ceil(bytes / 1024).toLocaleString('en')} KB)`);
  }

  end(): void {
    if (this.shown) this.context.io.stderr.write('\r\u001b[2K');
  }
}
