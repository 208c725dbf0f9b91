import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { TestDatabase } from '../../support/test-database';

const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway MariaDB server of the test's own, on a free port and a temporary data directory,
 * so that fault tests can kill and restart it without touching the shared server on 3306.
 */
export class ScratchMariaDb {
  private process?: ChildProcess;

  private constructor(
    readonly directory: string,
    readonly port: number,
    private readonly serverArgs: string[],
  ) {}

  /** Installs and starts a server, or answers why it cannot be started here. */
  static async start(options: { waitTimeoutSeconds: number }): Promise<ScratchMariaDb | string> {
    const root = await mkdtemp(join(tmpdir(), 'pat-faults-'));
    const dataDir = join(root, 'data');
    try {
      await run('mariadb-install-db', [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--user=root',
        '--skip-test-db',
      ]);
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      return `mariadb-install-db failed: ${(error as Error).message.split('\n')[0]}`;
    }
    const port = await freePort();
    const server = new ScratchMariaDb(root, port, [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      `--socket=${join(root, 'sock')}`,
      `--pid-file=${join(root, 'pid')}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--innodb-flush-log-at-trx-commit=1',
      `--wait-timeout=${options.waitTimeoutSeconds}`,
      `--interactive-timeout=${options.waitTimeoutSeconds}`,
    ]);
    try {
      await server.boot();
    } catch (error) {
      await server.destroy();
      return `mariadbd did not start: ${(error as Error).message}`;
    }
    return server;
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  /** A database on this server, as TestApp takes it. */
  async createDatabase(name: string, poolSize: number): Promise<TestDatabase> {
    const connection = await this.connect();
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await connection.end();
    return {
      config: { type: 'mysql', flavor: 'mariadb', url: `${this.url}/${name}`, poolSize },
      drop: async () => {
        const c = await this.connect();
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await c.end();
      },
    };
  }

  connect() {
    return createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 2000 });
  }

  /** The harshest stop: SIGKILL, as a crash or an OOM kill would. InnoDB recovers on the next start. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async boot(): Promise<void> {
    const child = spawn('mariadbd', this.serverArgs, { stdio: 'ignore' });
    this.process = child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`exited with ${code}`))));
    exited.catch(() => undefined); // a later kill must not surface as an unhandled rejection
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const connection = await Promise.race([this.connect(), exited]);
        await connection.query('SELECT 1');
        await connection.end();
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.directory, { recursive: true, force: true });
  }

  private async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
