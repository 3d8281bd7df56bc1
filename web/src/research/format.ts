/** Number formatting shared by the research pages. */

export const pct = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(digits)} %`;

/** A drawdown: a positive magnitude, shown unsigned (the convention of the API, CLI and report). */
export const drawdown = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(digits)} %`;

export const rate = (v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : `${Math.round(v * 100)} %`;

export const num = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** `recommended:sma_cross` -> `sma_cross (recommended)`: labels as people read them. */
export const labelName = (label: string): string =>
  label.startsWith('recommended:') ? `${label.slice('recommended:'.length)} (recommended)` : label;

/** The app page of one signal (the same path emails link to: src/domain/subscriptions/links.ts signalUrl). */
export const signalPath = (s: { ticker: string; strategy: string; date: string }): string =>
  `/app/signals/${[s.ticker, s.strategy, s.date].map(encodeURIComponent).join('/')}`;

export const tickerPath = (ticker: string, strategy?: string): string =>
  `/app/tickers/${encodeURIComponent(ticker)}${strategy ? `?strategy=${encodeURIComponent(strategy)}` : ''}`;

/** An ISO date `days` calendar days from `date`. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
