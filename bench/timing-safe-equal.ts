import { randomBytes } from 'node:crypto';
import { safeEqualDigest, TokenHasher } from '../libs/personal-access-tokens/src/tokens/token-hasher';

/**
 * `npx ts-node --transpile-only bench/timing-safe-equal.ts`: whether comparing digests leaks where they differ, tested as Node's own
 * test/pummel/test-crypto-timing-safe-equal-benchmarks.js does: many interleaved trials of equal
 * and unequal inputs, outliers dropped, and a two-sample Welch t-test on the means. |t| stays
 * small for a constant-time comparison; the same harness must flag an early-exit one. A wall-clock
 * measurement, so it lives with the benchmark (a quiet, pinned machine), not in `npm test`.
 * Prints both |t| values as JSON and exits non-zero if either check fails.
 */
const TRIALS = 20_000;
const CALLS_PER_TRIAL = 20;
const T_THRESHOLD = 10;
const ATTEMPTS = 3;

type Compare = (a: string, b: string) => boolean;

let sink = 0;

function timeTrial(compare: Compare, a: string, b: string): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS_PER_TRIAL; i++) sink += compare(a, b) ? 1 : 0;
  return Number(process.hrtime.bigint() - start);
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function variance(values: number[]): number {
  const m = mean(values);
  return values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1);
}

/** Node's filter: drop the trials a GC pause or a context switch made 50 times slower than the mean. */
function withoutOutliers(values: number[]): number[] {
  const m = mean(values);
  return values.filter((v) => v / m < 50);
}

function welchT(x: number[], y: number[]): number {
  return (mean(x) - mean(y)) / Math.sqrt(variance(x) / x.length + variance(y) / y.length);
}

/** t of "equal inputs" against "inputs differing in their first character", trials interleaved at random. */
function tValue(compare: Compare, digest: string): number {
  const copy = Buffer.from(digest).toString();
  const unequal = (digest[0] === 'a' ? 'b' : 'a') + digest.slice(1);
  const equalTimes: number[] = [];
  const unequalTimes: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    if (Math.random() < 0.5) {
      equalTimes.push(timeTrial(compare, digest, copy));
      unequalTimes.push(timeTrial(compare, digest, unequal));
    } else {
      unequalTimes.push(timeTrial(compare, digest, unequal));
      equalTimes.push(timeTrial(compare, digest, copy));
    }
  }
  return welchT(withoutOutliers(equalTimes), withoutOutliers(unequalTimes));
}

/** The smallest |t| over a few attempts: one noisy run on a shared machine is not a leak. */
function smallestT(compare: Compare, digest: string): number {
  let best = Infinity;
  for (let attempt = 0; attempt < ATTEMPTS && best >= T_THRESHOLD; attempt++) best = Math.min(best, Math.abs(tValue(compare, digest)));
  return best;
}

/** What a naive comparison does: stop at the first difference. */
function earlyExit(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

const digest = new TokenHasher([randomBytes(32).toString('hex')]).digest('pat_example');
const constantTime = smallestT(safeEqualDigest, digest);
const earlyExitT = Math.abs(tValue(earlyExit, digest.repeat(8)));
const figures = {
  welchT: Number(constantTime.toFixed(2)),
  earlyExitT: Number(earlyExitT.toFixed(2)),
  threshold: T_THRESHOLD,
  trials: TRIALS * 2,
  callsPerTrial: CALLS_PER_TRIAL,
};
process.stdout.write(JSON.stringify(figures) + '\n');
if (constantTime >= T_THRESHOLD) process.stderr.write('safeEqualDigest: equal and unequal digests take measurably different times\n');
// The harness has teeth only if it flags the naive comparison; sink keeps the calls from being optimized away.
if (earlyExitT <= T_THRESHOLD || sink === 0)
  process.stderr.write('the harness did not flag an early-exit comparison: its figure proves nothing\n');
process.exitCode = constantTime < T_THRESHOLD && earlyExitT > T_THRESHOLD && sink > 0 ? 0 : 1;
