import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { TestDatabase } from '../../support/test-database';

const run = promisify(execFile);

/** Where Debian's galera-4 package puts the provider; PAT_GALERA_PROVIDER overrides it (a missing path shows the suite failing under CI=true). */
export const GALERA_PROVIDER = process.env.PAT_GALERA_PROVIDER ?? '/usr/lib/galera/libgalera_smm.so';

/** Why a cluster cannot be started here, or undefined when it can. */
export function galeraUnavailableReason(): string | undefined {
  if (!existsSync(GALERA_PROVIDER)) return `galera-4 is not installed (no ${GALERA_PROVIDER})`;
  return undefined;
}

function freePort(taken: Set<number>): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => (taken.has(port) || port === 3306 ? resolve(freePort(taken)) : (taken.add(port), resolve(port))));
    });
  });
}

interface NodePorts {
  mysql: number;
  gcomm: number;
  ist: number;
  sst: number;
}

/** One mariadbd of the cluster: its own data directory and four ports on 127.0.0.1. */
export class GaleraNode {
  private process?: ChildProcess;

  constructor(
    readonly index: number,
    readonly directory: string,
    readonly ports: NodePorts,
    private readonly clusterAddress: string,
  ) {}

  get dataDir(): string {
    return join(this.directory, 'data');
  }

  get pid(): number | undefined {
    return this.process?.exitCode === null ? this.process.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  connect() {
    return createConnection({ host: '127.0.0.1', port: this.ports.mysql, user: 'root', connectTimeout: 2000 });
  }

  /** Starts mariadbd; `bootstrap` forms a new cluster (node 1, once). Answers once it takes queries. */
  async start(bootstrap = false): Promise<void> {
    const args = [
      '--no-defaults',
      `--datadir=${this.dataDir}`,
      `--port=${this.ports.mysql}`,
      `--socket=${join(this.directory, 'sock')}`,
      `--pid-file=${join(this.directory, 'pid')}`,
      `--log-error=${join(this.directory, 'error.log')}`,
      '--bind-address=127.0.0.1',
      '--user=mysql',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=64M',
      // Durable against a killed process (the OS keeps what was written), not against a power cut.
      '--innodb-flush-log-at-trx-commit=2',
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
      '--default-storage-engine=InnoDB',
      '--max-connections=300',
      '--wsrep-on=ON',
      `--wsrep-provider=${GALERA_PROVIDER}`,
      '--wsrep-cluster-name=pat-test-cluster',
      `--wsrep-cluster-address=${this.clusterAddress}`,
      `--wsrep-node-name=node${this.index + 1}`,
      `--wsrep-node-address=127.0.0.1:${this.ports.gcomm}`,
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${this.ports.gcomm};ist.recv_addr=127.0.0.1:${this.ports.ist};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S`,
      `--wsrep-sst-receive-address=127.0.0.1:${this.ports.sst}`,
      '--wsrep-sst-method=rsync',
      '--wsrep-slave-threads=2',
      ...(bootstrap ? ['--wsrep-new-cluster'] : []),
    ];
    const child = spawn('/usr/sbin/mariadbd', args, { stdio: 'ignore' });
    this.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`exited with ${code ?? signal}`))),
    );
    exited.catch(() => undefined); // a later kill must not surface as an unhandled rejection
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        const connection = await Promise.race([this.connect(), exited]);
        try {
          const [rows] = (await connection.query("SHOW STATUS LIKE 'wsrep_ready'")) as unknown as [Array<{ Value: string }>];
          if (rows[0]?.Value === 'ON') return;
        } finally {
          await connection.end();
        }
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`node ${this.index + 1}: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** SIGKILL without waiting, for process exit. */
  killNow(): void {
    if (this.running) this.process?.kill('SIGKILL');
  }

  /** SIGKILL, as a crash or an OOM kill would. Only the process this node started. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A 3-node MariaDB Galera cluster of the test's own on loopback: data directories under one
 * temporary folder (readable by the mysql user, which the servers run as), free ports, node 1
 * bootstrapping with `--wsrep-new-cluster`, state transfer by rsync. `destroy` kills only the
 * processes it started and removes the folder.
 */
export class GaleraCluster {
  private constructor(
    readonly root: string,
    readonly nodes: GaleraNode[],
  ) {}

  static async start(size = 3): Promise<GaleraCluster> {
    const root = await mkdtemp(join(tmpdir(), 'pat-galera-'));
    await chmod(root, 0o755);
    const taken = new Set<number>();
    const ports: NodePorts[] = [];
    for (let i = 0; i < size; i++) {
      ports.push({ mysql: await freePort(taken), gcomm: await freePort(taken), ist: await freePort(taken), sst: await freePort(taken) });
    }
    const address = `gcomm://${ports.map((p) => `127.0.0.1:${p.gcomm}`).join(',')}`;
    const nodes = ports.map((p, i) => new GaleraNode(i, join(root, `node${i + 1}`), p, address));
    const cluster = new GaleraCluster(root, nodes);
    // A test process that exits without tearing down (a crash, a timeout) takes its servers with it.
    process.once('exit', () => nodes.forEach((node) => node.killNow()));
    try {
      for (const node of nodes) {
        await run('mariadb-install-db', [
          '--no-defaults',
          `--datadir=${node.dataDir}`,
          '--auth-root-authentication-method=normal',
          '--user=mysql',
          '--skip-test-db',
        ]);
        await run('chown', ['-R', 'mysql:mysql', node.directory]);
      }
      await nodes[0].start(true);
      // One joiner at a time: each takes a full state transfer from a donor.
      for (const node of nodes.slice(1)) await node.start();
      await cluster.waitForSize(size);
    } catch (error) {
      const log = await run('tail', ['-n', '30', ...nodes.map((n) => join(n.directory, 'error.log')).filter(existsSync)]).catch(() => ({
        stdout: '',
      }));
      await cluster.destroy();
      throw new Error(`Galera cluster did not start: ${(error as Error).message}\n${log.stdout}`);
    }
    return cluster;
  }

  /** Waits until every running node sees `size` members and is synced. */
  async waitForSize(size: number, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.nodes.filter((n) => n.running).map((n) => this.status(n).catch(() => undefined)));
      if (states.every((s) => s && Number(s.wsrep_cluster_size) === size && s.wsrep_local_state_comment === 'Synced')) return;
      if (Date.now() > deadline) throw new Error(`cluster did not reach size ${size}: ${JSON.stringify(states)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async status(node: GaleraNode): Promise<Record<string, string>> {
    const connection = await node.connect();
    try {
      const [rows] = (await connection.query("SHOW STATUS LIKE 'wsrep_%'")) as unknown as [Array<{ Variable_name: string; Value: string }>];
      return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    } finally {
      await connection.end();
    }
  }

  /** Creates a database (replicated to every node) and answers one TestDatabase per node. */
  async createDatabase(name: string, poolSize: number): Promise<TestDatabase[]> {
    const connection = await this.nodes[0].connect();
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await connection.end();
    return this.nodes.map((node) => ({
      config: { type: 'mysql', flavor: 'mariadb', url: `mysql://root@127.0.0.1:${node.ports.mysql}/${name}`, poolSize },
      drop: async () => undefined,
    }));
  }

  async destroy(): Promise<void> {
    for (const node of this.nodes) await node.kill();
    await rm(this.root, { recursive: true, force: true });
  }
}
