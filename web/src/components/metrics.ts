/** Labels and formats of the backtest metrics (src/domain/backtest/metrics.ts), in the order the tables show them. */
export const METRICS: ReadonlyArray<{ key: string; label: string; unit?: '%' | 'd' | ''; digits?: number }> = [
  { key: 'totalReturnPct', label: 'Total return', unit: '%' },
  { key: 'buyAndHoldReturnPct', label: 'Buy and hold', unit: '%' },
  { key: 'cagrPct', label: 'CAGR', unit: '%' },
  { key: 'sharpe', label: 'Sharpe', digits: 2 },
  { key: 'sortino', label: 'Sortino', digits: 2 },
  { key: 'calmar', label: 'Calmar', digits: 2 },
  { key: 'volatilityPct', label: 'Volatility (annual)', unit: '%' },
  { key: 'maxDrawdownPct', label: 'Max drawdown', unit: '%' },
  { key: 'maxDrawdownPeakDate', label: 'Drawdown peak' },
  { key: 'maxDrawdownTroughDate', label: 'Drawdown trough' },
  { key: 'maxDrawdownRecoveryDate', label: 'Recovered on' },
  { key: 'maxDrawdownDurationDays', label: 'Drawdown duration', unit: 'd', digits: 0 },
  { key: 'exposurePct', label: 'Exposure', unit: '%' },
  { key: 'numTrades', label: 'Trades', digits: 0 },
  { key: 'numOpenTrades', label: 'Open at the end', digits: 0 },
  { key: 'winRatePct', label: 'Win rate', unit: '%' },
  { key: 'avgWinPct', label: 'Average win', unit: '%' },
  { key: 'avgLossPct', label: 'Average loss', unit: '%' },
  { key: 'profitFactor', label: 'Profit factor', digits: 2 },
  { key: 'expectancyPct', label: 'Expectancy per trade', unit: '%' },
  { key: 'bestTradePct', label: 'Best trade', unit: '%' },
  { key: 'worstTradePct', label: 'Worst trade', unit: '%' },
  { key: 'avgTradeDurationDays', label: 'Average holding', unit: 'd', digits: 1 },
  { key: 'sqn', label: 'SQN', digits: 2 },
  { key: 'numBuySignals', label: 'BUY signals', digits: 0 },
  { key: 'hitRate5dPct', label: 'BUY hit rate 5 d', unit: '%' },
  { key: 'hitRate20dPct', label: 'BUY hit rate 20 d', unit: '%' },
  { key: 'hitRate60dPct', label: 'BUY hit rate 60 d', unit: '%' },
];

/** A metric's value for a table cell: `–` when undefined. */
export function formatMetric(value: unknown, unit: string = '', digits = 2): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === 'd' ? `${text} d` : `${text}${unit}`;
}

/** A percentage with its sign, e.g. +12.30%. */
export const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(digits)}%`);

/** `fast=10, slow=30` */
export const paramText = (params: Record<string, number> | null | undefined) =>
  params ? Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ') || 'defaults' : '–';

/** Recent playground runs, kept in this browser (for the compare page). */
const RECENT_KEY = 'algo.playground.recent';
export interface RecentRun { id: string; label: string }
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
    localStorage.setItem(RECENT_KEY, JSON.stringify([run, ...recentRuns().filter((r) => r.id !== run.id)].slice(0, 12)));
  } catch {
    // Storage disabled: the compare page still takes ids from its URL.
  }
}
