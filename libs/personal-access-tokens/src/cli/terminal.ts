import { noPaint, type Painter, type Style } from './table.layout';

export type Env = Readonly<Record<string, string | undefined>>;

export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

export interface InputStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const CODES: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], green: [32, 39], yellow: [33, 39], red: [31, 39] };
const DEFAULT_WIDTH = 80;

/**
 * Where `pat` writes: results on stdout (a table, a secret, JSON), everything meant for the person on
 * stderr, so that `$(pat ...)` captures only the result. Colour only on a terminal, never with NO_COLOR.
 */
export class Terminal {
  constructor(
    readonly stdin: InputStream,
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
    private readonly env: Env,
  ) {}

  /** Whether `stream` gets colour: a terminal, NO_COLOR unset or empty (https://no-color.org), TERM not dumb. */
  colours(stream: OutputStream): boolean {
    return Boolean(stream.isTTY) && !this.env.NO_COLOR && this.env.TERM !== 'dumb';
  }

  painter(stream: OutputStream): Painter {
    if (!this.colours(stream)) return noPaint;
    return (style, text) => (style && text ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text);
  }

  /** The width tables fit on stdout: the terminal's own; else COLUMNS; else 80. */
  width(): number {
    if (this.stdout.isTTY && this.stdout.columns) return this.stdout.columns;
    const columns = Number(this.env.COLUMNS);
    return Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_WIDTH;
  }

  /** A line of the result, on stdout. */
  print(line = ''): void {
    this.stdout.write(`${line}\n`);
  }

  /** The result as JSON, on stdout, for scripts. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A line for the person, on stderr. */
  say(line: string): void {
    this.stderr.write(`${line}\n`);
  }

  warn(message: string): void {
    this.say(`${this.painter(this.stderr)('yellow', 'warning:')} ${message}`);
  }

  /** Writes `chunk` to stdout, waiting when the reader is slower than the export. */
  async write(chunk: Uint8Array): Promise<void> {
    if (!this.stdout.write(chunk)) await new Promise<void>((resolve) => this.stdout.once('drain', resolve));
  }
}
