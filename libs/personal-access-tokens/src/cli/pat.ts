#!/usr/bin/env node
import { runCli } from './cli.program';

// A reader that leaves early (`pat token list | head -1`) is not a failure of pat's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

void runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, process.env).then((code) => {
  process.exitCode = code;
  // Node's fetch keeps its idle connection open for a while: once the output is flushed, nothing is left to wait for.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
