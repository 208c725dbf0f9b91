import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  /** Seconds. */
  duration: number;
  headers?: Record<string, string>;
  /** Bearer tokens, one per request in turn. */
  bearer?: string[];
  /** JSON bodies, one per request in turn; `[<id>]` becomes a unique id. */
  bodies?: string[];
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** The server's CPU time per answered request in the measured window (µs), when known. */
  cpuUsPerRequest?: number;
}

/** The autocannon process (load-driver.ts), driven over IPC one run at a time. */
export class LoadDriver {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { id?: number; result?: LoadResult; error?: string }) => {
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      this.pending.delete(message.id);
      if (message.result) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error ?? 'load driver failed'));
    });
    child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('load driver exited'));
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadDriver> {
    const child = fork(join(__dirname, 'load-driver.ts'), [], { execArgv: ['-r', 'ts-node/register/transpile-only'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`load driver exited with ${code}`)));
    });
    return new LoadDriver(child);
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, spec });
    });
  }

  /** A short unmeasured run first, so the server's JIT and caches are warm, then the measured one. */
  async measure(spec: LoadSpec, warmupSeconds: number): Promise<LoadResult> {
    if (warmupSeconds > 0) await this.run({ ...spec, duration: warmupSeconds });
    return this.run(spec);
  }

  stop(): void {
    this.child.kill();
  }
}
