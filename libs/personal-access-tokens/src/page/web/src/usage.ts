/** The usage API's answers, and what the chart needs to lay them out. */

export type Outcome = 'success' | 'denied' | 'error';
export const OUTCOMES: { key: Outcome; label: string }[] = [
  { key: 'success', label: 'Succeeded' },
  { key: 'denied', label: 'Denied' },
  { key: 'error', label: 'Failed' },
];

export interface UsageBucket {
  start: string;
  success: number;
  denied: number;
  error: number;
}

export interface TokenUsage {
  tokenId: string;
  granularity: 'hour' | 'day';
  from: string;
  to: string;
  totals: { success: number; denied: number; error: number; total: number };
  buckets: UsageBucket[];
  addresses: { ip: string; lastSeenAt: string; requests: number; denied: number }[];
}

export interface BusiestToken {
  tokenId: string;
  tokenName: string | null;
  status: 'active' | 'expired' | 'revoked' | null;
  userId: string | null;
  ownerEmail: string | null;
  requests: number;
  denied: number;
  errors: number;
  lastUsedAt: string;
}

/** The periods a person picks from: the API's granularity and days for each. */
export const PERIODS = [
  { key: '24h', label: 'Last 24 hours', granularity: 'hour', days: 1 },
  { key: '7d', label: 'Last 7 days', granularity: 'hour', days: 7 },
  { key: '30d', label: 'Last 30 days', granularity: 'day', days: 30 },
] as const;
export type Period = (typeof PERIODS)[number];

export const total = (bucket: UsageBucket) => bucket.success + bucket.denied + bucket.error;

/** 1,204 */
export const count = (value: number) => value.toLocaleString('en');

/** The smallest "nice" step (1, 2 or 5 times a power of ten) that splits `max` into at most `parts`. */
export function axisOf(max: number, parts = 4): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const rough = max / parts;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? 10 * power);
  return { top: Math.ceil(max / step) * step, step };
}

const hourLabel = new Intl.DateTimeFormat('en', { hour: 'numeric' });
const dayLabel = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric' });
// Day buckets are UTC days: named by their UTC date, whatever the browser's zone.
const utcDayLabel = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const hourRange = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** "Dec 3, 9:00 AM" for an hour, "Dec 3" for a (UTC) day: how one bucket is named in words. */
export function bucketName(start: string, granularity: 'hour' | 'day'): string {
  return granularity === 'hour' ? hourRange.format(new Date(start)) : utcDayLabel.format(new Date(start));
}

/**
 * Which buckets get a label on the x axis, and the label, so that labels sit at least `minGap`
 * pixels apart: hours every 1-12 hours (day names at midnight over a week), days every 1-10 days.
 */
export function axisLabels(buckets: UsageBucket[], granularity: 'hour' | 'day', barWidth: number, minGap = 46): Map<number, string> {
  const labels = new Map<number, string>();
  if (granularity === 'day') {
    const every = [1, 2, 5, 7, 10, 15].find((k) => k * barWidth >= minGap) ?? 15;
    // Counted from the newest day, so that today is always named.
    for (let i = buckets.length - 1; i >= 0; i -= every) labels.set(i, utcDayLabel.format(new Date(buckets[i].start)));
    return labels;
  }
  const everyHours = buckets.length <= 48 ? [1, 2, 3, 4, 6, 12].find((k) => k * barWidth >= minGap) : undefined;
  if (everyHours) {
    buckets.forEach((bucket, i) => {
      const at = new Date(bucket.start);
      if (at.getHours() % everyHours === 0) labels.set(i, hourLabel.format(at));
    });
    return labels;
  }
  // A week of hours: the days, at the browser's midnights (every other one if they are too close).
  const midnights = buckets.flatMap((bucket, i) => (new Date(bucket.start).getHours() === 0 ? [i] : []));
  const everyDays = [1, 2, 7].find((k) => k * 24 * barWidth >= minGap) ?? 7;
  for (let j = midnights.length - 1; j >= 0; j -= everyDays)
    labels.set(midnights[j], dayLabel.format(new Date(buckets[midnights[j]].start)));
  return labels;
}
