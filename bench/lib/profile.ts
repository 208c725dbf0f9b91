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

export interface ProfileSummary {
  file: string;
  /** Sampled time, idle excluded. */
  busyMs: number;
  topFrames: ProfileFrame[];
  /** Self time grouped by where the code lives: a package, node internals, or this project. */
  byOrigin: ProfileFrame[];
  /** This project's own functions by inclusive time (themselves and what they call). */
  projectInclusive: ProfileFrame[];
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
export function summarizeProfile(dir: string, options: { skipFirstMs?: number; top?: number } = {}): ProfileSummary {
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
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const key = frameKey(byId.get(id) as ProfileNode);
    frames.set(key, (frames.get(key) ?? 0) + us);
    const origin = originOf(url, functionName || '(anonymous)');
    origins.set(origin, (origins.get(origin) ?? 0) + us);
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
  return {
    file,
    busyMs: Math.round(busyUs / 1000),
    topFrames: rank(frames, top),
    byOrigin: rank(origins, 12),
    projectInclusive: rank(inclusive, top),
  };
}
