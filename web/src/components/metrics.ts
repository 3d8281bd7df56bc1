/**
 * The backtest metrics table and headline are the server's own definitions
 * (src/reports/metric-format.ts): the same rows, labels and formats as the
 * HTML report and the CLI, read from the one summary. Drawdowns are positive
 * magnitudes, shown unsigned.
 */
export {
  METRIC_SECTIONS,
  backtestHeadline,
  formatMetrics,
  formatMetricValue,
} from '../../../src/reports/metric-format';

/** A metric's value for a table cell: `–` when undefined. */
export function formatMetric(value: unknown, unit: string = '', digits = 2): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === 'd' ? `${text} d` : `${text}${unit}`;
}

/** A percentage with its sign, e.g. +12.30%. */
export const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(digits)}%`;

/** `fast=10, slow=30` */
export const paramText = (params: Record<string, number> | null | undefined) =>
  params
    ? Object.entries(params)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'defaults'
    : '–';

/** Recent playground runs, kept in this browser (for the compare page). */
const RECENT_KEY = 'algo.playground.recent';
export interface RecentRun {
  id: string;
  label: string;
}
export function recentRuns(): RecentRun[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as RecentRun[];
    return Array.isArray(v) ? v.filter((r) => typeof r?.id === 'string').slice(0, 12) : [];
  } catch {
    return [];
  }
}
export function rememberRun(run: RecentRun): void {
  try {
    localStorage.setItem(
      RECENT_KEY,
      JSON.stringify([run, ...recentRuns().filter((r) => r.id !== run.id)].slice(0, 12)),
    );
  } catch {
    // Storage disabled: the compare page still takes ids from its URL.
  }
}
