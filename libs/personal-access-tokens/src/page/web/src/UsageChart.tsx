import { useEffect, useRef, useState, type RefObject } from 'react';
import { axisLabels, axisOf, bucketName, count, OUTCOMES, total, type UsageBucket } from './usage';
import './usage.css';

const HEIGHT = 220;
const MARGIN = { top: 12, right: 20, bottom: 28, left: 44 };

/** The width the chart has to draw in, followed as the window (or a phone's orientation) changes. */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setWidth(Math.floor(element.getBoundingClientRect().width));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * Requests per bucket as stacked bars, one colour per outcome (succeeded at the bottom, then denied,
 * then failed), on a y axis of round numbers and an x axis of hours or days; drawn in plain SVG at
 * the width it is given, so that its text stays readable on a phone. Each bar says its numbers on
 * hover (its title); `labelledBy` names the text that sums the chart up for a screen reader.
 */
export function UsageChart({
  buckets,
  granularity,
  labelledBy,
}: {
  buckets: UsageBucket[];
  granularity: 'hour' | 'day';
  labelledBy: string;
}) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const plotWidth = Math.max(0, width - MARGIN.left - MARGIN.right);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const { top, step } = axisOf(Math.max(0, ...buckets.map(total)));
  const slot = buckets.length ? plotWidth / buckets.length : 0;
  // Dense charts (a week of hours on a phone) draw bars edge to edge, so that a lone bar stays visible.
  const bar = slot >= 4 ? slot * 0.78 : slot;
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const labels = axisLabels(buckets, granularity, slot);
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);

  return (
    <div className="usage-chart" ref={ref}>
      {width > 0 && (
        <svg width={width} height={HEIGHT} role="img" aria-labelledby={labelledBy} className="usage-svg">
          {ticks.map((tick) => (
            <g key={tick} className="usage-tick">
              <line
                x1={MARGIN.left}
                x2={width - MARGIN.right}
                y1={y(tick)}
                y2={y(tick)}
                className={tick === 0 ? 'usage-baseline' : 'usage-grid'}
              />
              <text x={MARGIN.left - 6} y={y(tick)} dy="0.32em" textAnchor="end" className="usage-axis-text">
                {count(tick)}
              </text>
            </g>
          ))}
          {buckets.map((bucket, i) => {
            const x = MARGIN.left + i * slot + (slot - bar) / 2;
            let base = 0;
            return (
              <g key={bucket.start} className="usage-bar" data-start={bucket.start}>
                <title>
                  {`${bucketName(bucket.start, granularity)}: ${count(total(bucket))} requests (${OUTCOMES.map(
                    (o) => `${count(bucket[o.key])} ${o.label.toLowerCase()}`,
                  ).join(', ')})`}
                </title>
                {/* The whole slot answers the hover, not only the (maybe tiny) bar. */}
                <rect x={MARGIN.left + i * slot} y={MARGIN.top} width={slot} height={plotHeight} className="usage-hit" />
                {OUTCOMES.map(({ key }) => {
                  const value = bucket[key];
                  if (!value) return null;
                  const y0 = y(base);
                  base += value;
                  return (
                    <rect key={key} x={x} width={bar} y={y(base)} height={y0 - y(base)} className={`usage-${key}`} data-outcome={key} />
                  );
                })}
              </g>
            );
          })}
          {[...labels].map(([i, text]) => (
            <g key={i}>
              <line
                x1={MARGIN.left + (i + 0.5) * slot}
                x2={MARGIN.left + (i + 0.5) * slot}
                y1={HEIGHT - MARGIN.bottom}
                y2={HEIGHT - MARGIN.bottom + 4}
                className="usage-baseline"
              />
              <text x={MARGIN.left + (i + 0.5) * slot} y={HEIGHT - MARGIN.bottom + 16} textAnchor="middle" className="usage-axis-text">
                {text}
              </text>
            </g>
          ))}
        </svg>
      )}
      <ul className="usage-legend" aria-label="Legend">
        {OUTCOMES.map(({ key, label }) => (
          <li key={key}>
            <span className={`usage-swatch usage-swatch-${key}`} aria-hidden="true" />
            {label}
            {key === 'denied' && <span className="muted"> (401, 403, 429)</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
