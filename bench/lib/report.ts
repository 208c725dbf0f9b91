import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load';
import type { ProfileSummary } from './profile';

export interface CaseResult extends LoadResult {
  case: string;
  /** The database state: 1k or 1M tokens, audit off, ... */
  stage: string;
  /** The machine's 1-minute load average when the case started. */
  loadAverage: number;
  /** Which round of the alternating pipeline cases (absent for the cases measured once). */
  round?: number;
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
  /** CPU profiles of the pipeline cases, by case. */
  profiles?: Record<string, ProfileSummary>;
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
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverageAtStart: number; loadAverageAtEnd?: number };
  settings: {
    duration: number;
    warmup: number;
    connections: number;
    largeCount: number;
    rounds: number;
    cases: string[];
    pinned: string;
  };
  features: object;
  databases: Record<string, DatabaseResult>;
  ratios: Ratio[];
  elapsedSeconds: number;
}

export const PEER_BARE = 'peer: bare Nest /health';
export const PEER_JWT = 'peer: JWT (jose) /self';
export const CASE_HEALTH = '1. GET /health';
export const CASE_TWO = '2. PAT read (/self)';
export const CASE_VERIFY = '3a. gateway verify';
export const STAGE_AUDIT_OFF = 'audit off';
export const STAGE_LOG_OFF = 'request log off';
/** `AUDIT_READS=each`: one audit event per read instead of the default per-minute roll-ups. */
export const STAGE_READS_EACH = 'reads each';
export const STAGE_BASELINE = 'baseline';
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function runsOf(db: DatabaseResult, name: string, stage: string): CaseResult[] {
  return db.cases.filter((c) => c.case === name && c.stage === stage);
}

/**
 * a / b in req/s, paired round by round (both sides measured minutes apart, under the same load
 * from the rest of the machine), then the median of the rounds; cases measured once pair as they are.
 */
function pairedRatio(
  db: DatabaseResult,
  a: [string, string],
  b: [string, string],
): { value: number | null; byCpu: number | null; rounds: number } {
  const as = runsOf(db, ...a);
  const bs = runsOf(db, ...b);
  const pairs: number[] = [];
  const cpuPairs: number[] = [];
  for (const x of as) {
    const y = bs.find((c) => c.round === x.round);
    if (y?.requestsPerSecond) pairs.push(x.requestsPerSecond / y.requestsPerSecond);
    // The same ratio from the server's CPU time per request: what a core would serve, whatever else ran.
    if (x.cpuUsPerRequest && y?.cpuUsPerRequest) cpuPairs.push(y.cpuUsPerRequest / x.cpuUsPerRequest);
  }
  return {
    value: pairs.length ? round(median(pairs)) : null,
    byCpu: cpuPairs.length ? round(median(cpuPairs)) : null,
    rounds: pairs.length,
  };
}

/** The targets of issue 13, each measured within this one run. */
export function computeRatios(result: RunResult): Ratio[] {
  const ratios: Ratio[] = [];
  const ratio = (
    database: string,
    db: DatabaseResult,
    name: string,
    a: [string, string],
    b: [string, string],
    atLeast: number,
    detail: string,
  ) => {
    const { value, byCpu, rounds } = pairedRatio(db, a, b);
    if (value === null && !runsOf(db, ...a).length) return;
    const met = value === null ? null : value >= atLeast;
    const paired = rounds > 1 ? `, median of ${rounds} paired rounds` : '';
    const cpu = byCpu === null ? '' : `; by server CPU per request ${byCpu}`;
    ratios.push({ database, name, value, target: `≥ ${atLeast}`, met, detail: detail + paired + cpu });
  };
  for (const [database, db] of Object.entries(result.databases)) {
    ratio(database, db, 'PAT read (/self) / JWT peer /self', [CASE_TWO, '1k'], [PEER_JWT, '-'], 1.5, 'req/s, 1k tokens');
    ratio(database, db, 'gateway verify / JWT peer /self', [CASE_VERIFY, '1k'], [PEER_JWT, '-'], 2, 'req/s, 1k tokens');
    ratio(database, db, '/health / bare Nest /health', [CASE_HEALTH, '1k'], [PEER_BARE, '-'], 0.8, 'req/s');
    for (const [name, label] of [
      [CASE_TWO, '/self'],
      [CASE_VERIFY, 'verify'],
    ]) {
      ratio(database, db, `${label} audit on / off`, [name, '1k'], [name, `1k, ${STAGE_AUDIT_OFF}`], 0.9, 'req/s');
      ratio(
        database,
        db,
        `${label} reads counted / each`,
        [name, '1k'],
        [name, `1k, ${STAGE_READS_EACH}`],
        1,
        'req/s, AUDIT_READS counted (default) / each',
      );
      ratio(
        database,
        db,
        `${label} request log info / off`,
        [name, '1k'],
        [name, `1k, ${STAGE_LOG_OFF}`],
        0.9,
        'req/s, LOG_LEVEL info / warn',
      );
    }
    for (const [name, label] of [
      [CASE_TWO, '/self'],
      [CASE_VERIFY, 'verify'],
    ]) {
      ratio(
        database,
        db,
        `${label} at 1M / at 1k, cache off`,
        [name, '1M, cache off'],
        [name, '1k, cache off'],
        0.95,
        'req/s, a lookup per request',
      );
    }
    for (const [name, label] of [
      [CASE_HEALTH, '/health'],
      [CASE_TWO, '/self'],
      [CASE_VERIFY, 'verify'],
      ['3b. introspection', 'introspection'],
      ['4. token creation', 'token creation'],
    ]) {
      if (runsOf(db, name, `1k, ${STAGE_BASELINE}`).length)
        ratio(
          database,
          db,
          `${label} now / baseline`,
          [name, '1k'],
          [name, `1k, ${STAGE_BASELINE}`],
          1,
          'req/s, no route slower than before',
        );
    }
    const sweep = db.sweep;
    if (!sweep) continue;
    ratios.push({
      database,
      name: 'expiry sweep rows/s',
      value: sweep.rowsPerSecond ?? null,
      target: database === 'mariadb' ? '≥ 100000' : '-',
      met: database === 'mariadb' && sweep.rowsPerSecond !== undefined ? sweep.rowsPerSecond >= 100_000 : null,
      detail: sweepDetail(sweep),
    });
    // No request answered while the job ran means the event loop was held: a miss, not a zero p99.
    const during = sweep.during;
    const starved = during !== undefined && during.total === 0;
    const p99 = during && !starved && sweep.idleP99Ms ? round(during.p99Ms / sweep.idleP99Ms) : null;
    ratios.push({
      database,
      name: '/self p99 during sweep / idle',
      value: p99,
      target: '≤ 2',
      met: starved ? false : p99 === null ? null : p99 <= 2,
      detail: starved
        ? `no request answered in ${during.timeouts ? 'time' : 'the whole window'} while the job ran`
        : during
          ? `${during.p99Ms} ms against ${sweep.idleP99Ms} ms`
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

function cpuOf(runs: LoadResult[]): string {
  const known = runs.map((r) => r.cpuUsPerRequest).filter((us): us is number => us !== undefined);
  return known.length ? String(Math.round(median(known))) : '';
}

/** One row per case and stage: the median of its rounds, with their range and the load average's. */
function caseRows(result: RunResult): string[][] {
  const rows: string[][] = [];
  const span = (values: number[], digits = 0) => {
    const lo = round(Math.min(...values), digits);
    const hi = round(Math.max(...values), digits);
    return lo === hi ? String(lo) : `${lo}-${hi}`;
  };
  for (const [database, db] of Object.entries(result.databases)) {
    const groups = new Map<string, LoadResult[]>();
    const loads = new Map<string, number[]>();
    for (const c of db.cases) {
      const key = `${c.case}\u0000${c.stage}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
      loads.set(key, [...(loads.get(key) ?? []), c.loadAverage]);
    }
    const during = db.sweep?.during;
    if (during) groups.set(`${CASE_TWO}\u0000during sweep`, [during]);
    for (const [key, runs] of groups) {
      const [name, stage] = key.split('\u0000');
      const answered = runs.filter((r) => r.total > 0);
      const rps = runs.map((r) => r.requestsPerSecond);
      rows.push([
        database,
        name,
        stage,
        String(Math.round(median(rps))),
        runs.length > 1 ? span(rps) : '',
        // Nothing answered (a held event loop): there is no latency to show, not a latency of 0.
        answered.length ? String(median(answered.map((r) => r.p50Ms))) : 'no answer',
        answered.length ? String(median(answered.map((r) => r.p99Ms))) : 'no answer',
        cpuOf(runs),
        loads.has(key) ? span(loads.get(key) as number[], 2) : '',
      ]);
    }
  }
  return rows;
}

function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function printReport(result: RunResult, print: (line: string) => void): void {
  print('');
  print('case                          database  stage                        req/s  rounds          p50 ms  p99 ms  CPU µs/req  load');
  for (const [database, name, stage, rps, range, p50, p99, cpu, load] of caseRows(result)) {
    print(
      `${name.padEnd(30)}${database.padEnd(10)}${stage.padEnd(27)}${rps.padStart(7)}  ${range.padEnd(14)}${p50.padStart(8)}${p99.padStart(8)}${cpu.padStart(12)}  ${load}`,
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
    for (const [name, profile] of Object.entries(db.profiles ?? {})) {
      print(
        `${database}: ${name} under --cpu-prof: ${profile.busyMs} ms busy for ${profile.requests ?? '?'} requests; by stage (µs/request, share):`,
      );
      for (const s of profile.stages) print(`  ${String(s.usPerRequest).padStart(7)}  ${String(s.percent).padStart(5)}%  ${s.stage}`);
      print(
        `  top self time: ${profile.topFrames
          .slice(0, 8)
          .map((f) => `${f.frame} ${f.percent}%`)
          .join('; ')}`,
      );
    }
  }
}

/** The profiled cases side by side: sampled µs per request by stage. */
function stageTable(database: string, db: DatabaseResult): string[] {
  const profiles = Object.entries(db.profiles ?? {});
  if (!profiles.length) return [];
  const stages = [...new Set(profiles.flatMap(([, p]) => p.stages.map((s) => s.stage)))];
  const total = (p: ProfileSummary) => (p.requests ? Math.round((10 * p.busyMs * 1000) / p.requests) / 10 : 0);
  const rows = stages.map((stage) => [
    stage,
    ...profiles.map(([, p]) => {
      const cost = p.stages.find((s) => s.stage === stage);
      return cost ? `${cost.usPerRequest} (${cost.percent}%)` : '';
    }),
  ]);
  rows.push(['**all (sampled CPU per request)**', ...profiles.map(([, p]) => `**${total(p)}**`)]);
  return [
    `Stage budget on ${database}, µs of CPU per request under \`--cpu-prof\` (share of busy time):`,
    '',
    markdownTable(['stage', ...profiles.map(([name]) => name)], rows),
    '',
  ];
}

const START = '<!-- bench:latest:start -->';
const END = '<!-- bench:latest:end -->';

/** Replaces the "latest figures" block of bench/README.md with this run's tables. */
export function updateReadme(path: string, result: RunResult, resultFile: string): void {
  const block = [
    START,
    `Latest run: ${result.date.slice(0, 16).replace('T', ' ')} UTC, \`${result.command}\`, ${result.elapsedSeconds} s in all, ` +
      `service built from ${result.source}, ` +
      `${result.machine.cpus} × ${result.machine.cpuModel.trim()}, Node ${result.machine.node}, ` +
      `load average ${result.machine.loadAverageAtStart} at start and ${result.machine.loadAverageAtEnd ?? '?'} at end, ` +
      `pinned: ${result.settings.pinned ?? 'no'}, ${result.settings.rounds ?? 1} round(s) of the pipeline cases, ` +
      `${result.settings.connections} connections, ${result.settings.duration} s per case after ${result.settings.warmup} s warm-up. ` +
      `Raw figures: [${resultFile.replace(/^bench\//, '')}](${resultFile.replace(/^bench\//, '')}).`,
    '',
    markdownTable(
      ['database', 'case', 'tokens / state', 'req/s (median)', 'rounds', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'load avg'],
      caseRows(result),
    ),
    '',
    markdownTable(
      ['target', 'database', 'measured', 'target', 'verdict', 'detail'],
      result.ratios.map((r) => [r.name, r.database, String(r.value ?? '-'), r.target, verdict(r), r.detail]),
    ),
    '',
    ...Object.entries(result.databases).flatMap(([database, db]) => stageTable(database, db)),
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
