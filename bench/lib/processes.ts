import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether `taskset` works here: on 2 shared cores, unpinned figures swing by 2x between runs. */
export function pinningAvailable(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins a running process, all its threads included, to one core. */
export function pinProcess(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server under test, in a process of its own, with its output in a log file. */
export class ServerProcess {
  private exited: Promise<number | null>;
  /** When the process was spawned (ms since the epoch). */
  readonly startedAt = Date.now();

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `node <args>` and waits until `readyPath` answers `readyStatus` (or the process dies). */
  static async start(options: {
    name: string;
    args: string[];
    env: Record<string, string>;
    port: number;
    logFile: string;
    readyPath: string;
    /** The status readyPath answers once the server is up (default 200). */
    readyStatus?: number;
    cwd: string;
    /** The core to pin the process to (`taskset -c`). */
    cpu?: number;
  }): Promise<ServerProcess> {
    // The log file is the child's own stdout: no pipe through this process, which shares a core with the load.
    const log = openSync(options.logFile, 'a');
    const [command, args] =
      options.cpu === undefined
        ? [process.execPath, options.args]
        : ['taskset', ['-c', String(options.cpu), process.execPath, ...options.args]];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const server = new ServerProcess(options.name, `http://127.0.0.1:${options.port}`, child);
    let dead = false;
    void server.exited.then(() => (dead = true));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (dead) throw new Error(`${options.name} exited during start-up; see ${options.logFile}`);
      try {
        if ((await fetch(server.url + options.readyPath)).status === (options.readyStatus ?? 200)) return server;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`${options.name} did not become ready within 60 s; see ${options.logFile}`);
  }

  /** Resident memory of the process now (MB, from /proc; undefined elsewhere or once it exited). */
  rssMb(): number | undefined {
    try {
      const line = readFileSync(`/proc/${this.child.pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
      return line ? Math.round(Number(line[1]) / 102.4) / 10 : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * CPU time the process has used so far (user + system, ms, from /proc; undefined elsewhere).
   * Per request, it is the figure least moved by what else runs on the machine.
   */
  cpuMs(): number | undefined {
    try {
      // Fields 14 and 15 after the command name (which may contain spaces), in clock ticks (100 Hz).
      const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM, so the service shuts down gracefully (buffered audit flushed, profile written). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    // A process whose event loop is held (a synchronous sweep) cannot even take the signal.
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
