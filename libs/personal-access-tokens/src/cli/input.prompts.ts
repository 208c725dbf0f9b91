import { createInterface } from 'node:readline/promises';
import { CliError, ExitCode } from './cli.errors';
import type { InputStream, Terminal } from './terminal';

/** More than this on stdin is not a token: refused rather than read on and on. */
const MAX_INPUT_BYTES = 4096;
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACES = new Set(['\u007f', '\b']);

/**
 * The token for `pat auth login`, from standard input only, so that it never lands in the shell's
 * history or in the process list: piped (`--with-token < file`), or typed at a prompt that does not
 * echo it when stdin is a terminal.
 */
export async function readToken(io: Terminal, withToken: boolean): Promise<string> {
  const { stdin } = io;
  let input: string;
  if (stdin.isTTY && stdin.setRawMode) input = await promptHidden(io, 'Paste your personal access token (it is not shown): ');
  else if (withToken) input = await readAll(stdin);
  else {
    throw new CliError('Give the token on standard input with --with-token, such as: pat auth login --with-token < token.txt', ExitCode.Usage);
  }
  const token = input
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find(Boolean);
  if (!token) throw new CliError('No token on standard input', ExitCode.Usage);
  if (/[\s\p{Cc}]/u.test(token)) throw new CliError('The token has spaces or control characters in it: give it whole, on one line', ExitCode.Usage);
  return token;
}

async function readAll(stdin: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new CliError(`More than ${MAX_INPUT_BYTES} bytes on standard input: that is not a token`, ExitCode.Usage);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal in raw mode, echoing nothing. */
function promptHidden(io: Terminal, question: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(question);
  stdin.setRawMode!(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: CliError) => {
      stdin.off('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      for (const character of String(chunk)) {
        if (character === '\r' || character === '\n' || (character === CTRL_D && value)) return finish();
        if (character === CTRL_C || character === CTRL_D) return finish(new CliError('Cancelled', ExitCode.Interrupted));
        if (BACKSPACES.has(character)) value = [...value].slice(0, -1).join('');
        else if (value.length >= MAX_INPUT_BYTES) return finish(new CliError('That is too long to be a token', ExitCode.Usage));
        else if (character >= ' ') value += character;
      }
    };
    stdin.on('data', onData);
  });
}

/** Asks a yes/no question on the terminal; anything but y or yes is a no. */
export async function confirm(io: Terminal, question: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
