import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load';
import type { ProfileSummary } from './profile';

export interface CaseResult extends LoadResult {
  case: string;
  /** The database state: 1k or 1M tokens, audit off, ... */
  stage: string;
  /** The machine's 1-minute load average when the case started. */
  loadAverage: number;
}

export interface SweepResult {
  due: number;
  /** Rows expired while watched (all of them when `finished`). */
  done?: number;
  seconds?: number;
  rowsPerSecond?: number;
  finished?: boolean;
  /** EXPIRY_JOB_BATCH_SIZE, when the run set one. */
  batchSize?: number;
  /** Case 2 while the expiry job runs. */
  during?: LoadResult;
  idleP99Ms?: number;
  error?: string;
}

export interface DatabaseResult {
  tokens: number;
  cases: CaseResult[];
  skipped: string[];
  notes: string[];
  profile?: ProfileSummary;
  sweep?: SweepResult;
}

export interface Ratio {
  database: string;
  name: string;
  value: number | null;
  target: string;
  met: boolean | null;
  detail: string;
}

export interface RunResult {
  date: string;
  command: string;
  /** The commit the service was built from. */
  source: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverageAtStart: number };
  settings: { duration: number; warmup: number; connections: number; largeCount: number };
  features: object;
  peer: CaseResult | undefined;
  databases: Record<string, DatabaseResult>;
  ratios: Ratio[];
  elapsedSeconds: number;
}

const CASE_TWO = '2. PAT read (/self)';
const CASE_VERIFY = '3a. gateway verify';
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function find(db: DatabaseResult, name: string, stage: string): CaseResult | undefined {
  return db.cases.find((c) => c.case === name && c.stage === stage);
}

/** The targets of issue 7, each measured within this one run. */
export function computeRatios(result: RunResult): Ratio[] {
  const ratios: Ratio[] = [];
  const ratio = (database: string, name: string, a: number | undefined, b: number | undefined, atLeast: number | null, detail: string) => {
    const value = a !== undefined && b ? round(a / b) : null;
    const met = value === null || atLeast === null ? null : value >= atLeast;
    ratios.push({ database, name, value, target: atLeast === null ? '-' : `≥ ${atLeast}`, met, detail });
  };
  for (const [database, db] of Object.entries(result.databases)) {
    const small = find(db, CASE_TWO, '1k');
    const large = find(db, CASE_TWO, '1M');
    const auditOff = find(db, CASE_TWO, '1M, audit off');
    ratio(
      database,
      'case 2 / peer JWT',
      small?.requestsPerSecond,
      result.peer?.requestsPerSecond,
      database === 'sqlite' ? 1.5 : 1.0,
      'req/s, 1k tokens',
    );
    ratio(
      database,
      'gateway verify / peer JWT',
      find(db, CASE_VERIFY, '1k')?.requestsPerSecond,
      result.peer?.requestsPerSecond,
      null,
      'req/s, 1k tokens',
    );
    ratio(database, 'case 2 at 1M / at 1k', large?.requestsPerSecond, small?.requestsPerSecond, 0.95, 'req/s');
    for (const [name, label] of [
      [CASE_TWO, 'case 2'],
      [CASE_VERIFY, 'gateway verify'],
    ]) {
      const off = (stage: string) => find(db, name, `${stage}, cache off`)?.requestsPerSecond;
      if (off('1k') !== undefined)
        ratio(database, `${label} at 1M / at 1k, cache off`, off('1M'), off('1k'), 0.95, 'req/s, a lookup per request');
    }
    ratio(database, 'case 2 audit on / off', large?.requestsPerSecond, auditOff?.requestsPerSecond, 0.9, 'req/s, 1M tokens');
    const sweep = db.sweep;
    ratios.push({
      database,
      name: 'expiry sweep rows/s',
      value: sweep?.rowsPerSecond ?? null,
      target: database === 'mariadb' ? '≥ 100000' : '-',
      met: database === 'mariadb' && sweep?.rowsPerSecond !== undefined ? sweep.rowsPerSecond >= 100_000 : null,
      detail: sweepDetail(sweep),
    });
    // No request answered while the job ran means the event loop was held: a miss, not a zero p99.
    const during = sweep?.during;
    const starved = during !== undefined && during.total === 0;
    const p99 = during && !starved && sweep?.idleP99Ms ? round(during.p99Ms / sweep.idleP99Ms) : null;
    ratios.push({
      database,
      name: 'case 2 p99 during sweep / idle',
      value: p99,
      target: '≤ 2',
      met: starved ? false : p99 === null ? null : p99 <= 2,
      detail: starved
        ? `no request answered in ${during.timeouts ? 'time' : 'the whole window'} while the job ran`
        : during
          ? `${during.p99Ms} ms against ${sweep?.idleP99Ms} ms`
          : 'not measured',
    });
  }
  return ratios;
}

function sweepDetail(sweep: SweepResult | undefined): string {
  if (!sweep) return 'not measured';
  if (sweep.error) return sweep.error;
  const batch = sweep.batchSize ? `, batch ${sweep.batchSize}` : ', default batch';
  return sweep.finished
    ? `${sweep.due} rows in ${sweep.seconds} s${batch}`
    : `unfinished: ${sweep.done} of ${sweep.due} rows in the ${sweep.seconds} s watched${batch}`;
}

const verdict = (r: Ratio) => (r.met === null ? (r.value === null ? 'skipped' : '') : r.met ? 'met' : 'MISSED');

function caseRows(result: RunResult): string[][] {
  const row = (database: string, c: LoadResult & { case: string; stage: string; loadAverage?: number }) => [
    database,
    c.case,
    c.stage,
    String(c.requestsPerSecond),
    // Nothing answered (a held event loop): there is no latency to show, not a latency of 0.
    c.total === 0 ? 'no answer' : String(c.p50Ms),
    c.total === 0 ? 'no answer' : String(c.p99Ms),
    c.loadAverage === undefined ? '' : String(c.loadAverage),
  ];
  const rows: string[][] = [];
  if (result.peer) rows.push(row('peer', result.peer));
  for (const [database, db] of Object.entries(result.databases)) {
    for (const c of db.cases) rows.push(row(database, c));
    const during = db.sweep?.during;
    if (during) rows.push(row(database, { ...during, case: CASE_TWO, stage: 'during sweep' }));
  }
  return rows;
}

function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function printReport(result: RunResult, print: (line: string) => void): void {
  print('');
  print('case                          database  stage              req/s   p50 ms  p99 ms  load');
  for (const [database, name, stage, rps, p50, p99, load] of caseRows(result)) {
    print(
      `${name.padEnd(30)}${database.padEnd(10)}${stage.padEnd(19)}${rps.padStart(7)}${p50.padStart(10)}${p99.padStart(10)}${load.padStart(6)}`,
    );
  }
  print('');
  print('target                                  database  value     target     verdict');
  for (const r of result.ratios) {
    print(
      `${r.name.padEnd(40)}${r.database.padEnd(10)}${String(r.value ?? '-').padEnd(10)}${r.target.padEnd(11)}${verdict(r)}  (${r.detail})`,
    );
  }
  for (const [database, db] of Object.entries(result.databases)) {
    for (const s of db.skipped) print(`skipped on ${database}: ${s}`);
    for (const n of db.notes) print(`${database}: ${n}`);
    if (db.profile) {
      print(`${database}: top self time in case 2 (${db.profile.busyMs} ms busy):`);
      for (const f of db.profile.topFrames.slice(0, 10)) print(`  ${String(f.percent).padStart(5)}%  ${f.frame}`);
      print(`${database}: by origin: ${db.profile.byOrigin.map((o) => `${o.frame} ${o.percent}%`).join(', ')}`);
      print(`${database}: this project's functions, inclusive:`);
      for (const f of db.profile.projectInclusive.slice(0, 10)) print(`  ${String(f.percent).padStart(5)}%  ${f.frame}`);
    }
  }
}

const START = '<!-- bench:latest:start -->';
const END = '<!-- bench:latest:end -->';

/** Replaces the "latest figures" block of bench/README.md with this run's tables. */
export function updateReadme(path: string, result: RunResult, resultFile: string): void {
  const block = [
    START,
    `Latest run: ${result.date.slice(0, 16).replace('T', ' ')} UTC, \`${result.command}\`, ${result.elapsedSeconds} s in all, ` +
      `service built from ${result.source}, ` +
      `${result.machine.cpus} × ${result.machine.cpuModel.trim()}, Node ${result.machine.node}, load average ${result.machine.loadAverageAtStart} at start, ` +
      `${result.settings.connections} connections, ${result.settings.duration} s per case after ${result.settings.warmup} s warm-up. ` +
      `Raw figures: [${resultFile.replace(/^bench\//, '')}](${resultFile.replace(/^bench\//, '')}).`,
    '',
    markdownTable(['database', 'case', 'tokens / state', 'req/s', 'p50 ms', 'p99 ms', 'load avg'], caseRows(result)),
    '',
    markdownTable(
      ['target', 'database', 'measured', 'target', 'verdict', 'detail'],
      result.ratios.map((r) => [r.name, r.database, String(r.value ?? '-'), r.target, verdict(r), r.detail]),
    ),
    '',
    ...Object.entries(result.databases).flatMap(([database, db]) => [
      ...db.notes.map((n) => `- ${database}: ${n}`),
      ...db.skipped.map((s) => `- skipped on ${database}: ${s}`),
    ]),
    END,
  ].join('\n');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
