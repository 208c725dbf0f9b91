import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: Array<ProfileNode & { children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileFrame {
  frame: string;
  selfMs: number;
  percent: number;
}

export interface StageCost {
  stage: string;
  /** Sampled CPU per request in the window (µs; profiling itself adds some). */
  usPerRequest: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, idle excluded. */
  busyMs: number;
  /** Requests answered in the window, when known: the stage budget is per request. */
  requests?: number;
  /** Busy time by pipeline stage (see `stageOf`). */
  stages: StageCost[];
  topFrames: ProfileFrame[];
  /** Self time grouped by where the code lives: a package, node internals, or this project. */
  byOrigin: ProfileFrame[];
  /** This project's own functions by inclusive time (themselves and what they call). */
  projectInclusive: ProfileFrame[];
}

/**
 * Pipeline stages, by the code a sample is in. The innermost frame of a sample's stack that one of
 * `SPECIFIC` names decides (so the HMAC under the bearer guard counts as the digest, not the guard);
 * failing that, the innermost that `GENERIC` names (the socket write under Fastify's reply, the
 * driver under TypeORM); failing that, its origin. A database call after an `await` has lost its
 * caller's frames: it counts as the driver, whoever made it.
 */
const SPECIFIC: [string, RegExp][] = [
  ['request log (pino)', /node_modules\/(pino|sonic-boom|fast-redact|@pinojs|quick-format-unescaped|fast-safe-stringify|thread-stream)\//],
  ['app logger', /\/src\/logging\//],
  ['audit event', /\/audit\/(audit[-.]|system-audit\.)/],
  ['last-used bookkeeping', /^recordUse |^background /],
  ['token lookup and /self read', /\/tokens\/(tokens\.service|token-verification\.service|token-lookup)\.js|\/common\/raw-entity\.js/],
  ['verification cache', /\/verification-cache\.js/],
  ['digest (HMAC)', /\/token-hasher\.js|^(createHmac|Hmac|digest|update) node:internal\/crypto/],
  ['token format (CRC32)', /\/token-format\.js/],
  ['credential parsing', /\/auth\/credentials\.js/],
  ['failed-auth limiter', /\/failed-auth-limiter\.js|\/common\/rate-limit/],
  ['credential verifier', /\/credential-verifier\.js/],
  ['user lookup', /user-directory\.js|\/users\/users\.service\.js/],
  [
    'passport and bearer guard',
    /node_modules\/(passport|passport-http-bearer|passport-strategy|@nestjs\/passport)\/|\/bearer(-auth\.guard|\.strategy)\.js/,
  ],
  ['scopes guard', /\/scopes\/scope(s\.guard)?\.js/],
  ['unit of work', /\/common\/unit-of-work\.js/],
  ['exception filter', /api-exception\.filter\.js/],
  ['validation pipe', /node_modules\/(class-validator|class-transformer)\/|\/common\/validation\.js/],
  ['handlers', /\.controller\.js/],
  ['serialization', /node_modules\/fast-json-stringify\/|^(stringify|serialize) /],
];
const GENERIC: [string, RegExp][] = [
  ['database driver', /node_modules\/(typeorm|better-sqlite3|mysql2|sqlstring|lru\.min|named-placeholders|denque)\//],
  ['rxjs (interceptor chain)', /node_modules\/rxjs\//],
  ['AsyncLocalStorage and hooks', /node:async_hooks|node:internal\/async_(local_storage|hooks)|node:internal\/process\/promises/],
  ['Nest router and enhancers', /node_modules\/@nestjs\/(core|common|platform-fastify)\//],
  [
    'Fastify',
    /node_modules\/(fastify|find-my-way|avvio|@fastify|light-my-request|fast-querystring|process-warning|abstract-logging|toad-cache)\//,
  ],
  ['HTTP parser and sockets (Node)', /node:(_http|http|net|stream|internal\/(http|stream|streams|net|tcp|dns|js_stream|url))/],
  // Generic: Fastify goes on answering from inside a callback hook (the socket write under onSend).
  ['request id and log hooks (app.setup)', /\/src\/app\.setup\.js/],
];

function stageOf(stack: ProfileNode[]): string {
  for (const rules of [SPECIFIC, GENERIC]) {
    for (const node of stack) {
      const key = `${node.callFrame.functionName} ${node.callFrame.url}`;
      for (const [stage, pattern] of rules) if (pattern.test(key)) return stage;
    }
  }
  const leaf = stack[0].callFrame;
  if (leaf.functionName === '(garbage collector)') return 'GC';
  if (leaf.functionName === '(program)') return 'V8 and native (program)';
  return `other: ${originOf(leaf.url, leaf.functionName || '(anonymous)')}`;
}

function originOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.includes('/libs/')) return 'this project: libs';
  if (url.includes('/src/')) return 'this project: src';
  return url;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

function frameKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  return url ? `${name} ${shortUrl(url)}:${lineNumber + 1}` : name;
}

/**
 * Self time per function (and per origin), and this project's functions by inclusive time, from
 * the newest .cpuprofile in a directory. Samples in the first `skipFirstMs` (start-up, warm-up)
 * are left out.
 */
export function summarizeProfile(dir: string, options: { skipFirstMs?: number; top?: number; requests?: number } = {}): ProfileSummary {
  const top = options.top ?? 15;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const file = join(dir, files.sort().at(-1) as string);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = new Map<number, number>();
  const skipUs = (options.skipFirstMs ?? 0) * 1000;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsedUs += delta;
    if (elapsedUs >= skipUs) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const inclusive = new Map<string, number>();
  const frames = new Map<string, number>();
  const origins = new Map<string, number>();
  const stages = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const key = frameKey(byId.get(id) as ProfileNode);
    frames.set(key, (frames.get(key) ?? 0) + us);
    const origin = originOf(url, functionName || '(anonymous)');
    origins.set(origin, (origins.get(origin) ?? 0) + us);
    const stack: ProfileNode[] = [];
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) stack.push(byId.get(node) as ProfileNode);
    const stage = stageOf(stack);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    // Each project function on this sample's stack, once even when recursive.
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      const frame = byId.get(node) as ProfileNode;
      if (!/\/(libs|src)\//.test(frame.callFrame.url) || frame.callFrame.url.includes('node_modules')) continue;
      const k = frameKey(frame);
      if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
      seen.add(k);
    }
  }
  const rank = (map: Map<string, number>, n: number): ProfileFrame[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 1000), percent: Math.round((1000 * us) / busyUs) / 10 }));
  const requests = options.requests;
  return {
    file,
    busyMs: Math.round(busyUs / 1000),
    requests,
    stages: [...stages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([stage, us]) => ({
        stage,
        usPerRequest: requests ? Math.round((10 * us) / requests) / 10 : 0,
        percent: Math.round((1000 * us) / busyUs) / 10,
      })),
    topFrames: rank(frames, top),
    byOrigin: rank(origins, 12),
    projectInclusive: rank(inclusive, top),
  };
}
