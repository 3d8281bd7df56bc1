import type { BacktestSummary } from '../domain/backtest/backtest-record';
import type { BacktestMetrics } from '../domain/backtest/metrics';

/** How a metric's value reads: the unit decides the format. */
export type MetricKind = 'signedPct' | 'pct' | 'ratio' | 'money' | 'days' | 'count' | 'date';

/** What the metrics table shows: the metrics and the summary's order count. */
export type MetricsTableInput = Pick<BacktestSummary, 'metrics' | 'orders'>;

/** One line of the metrics table: which metric (or `orders`, the summary's count), its label, and a one-line definition. */
export interface MetricRow {
  key: keyof BacktestMetrics | 'orders';
  label: string;
  kind: MetricKind;
  hint: string;
}

/** A titled group of rows. */
export interface MetricSection {
  title: string;
  rows: readonly MetricRow[];
}

/** Every metric, grouped and labelled, in the order a report shows them. */
export const METRIC_SECTIONS: readonly MetricSection[] = [
  {
    title: 'Returns',
    rows: [
      { key: 'totalReturnPct', label: 'Total return', kind: 'signedPct', hint: 'final / initial capital - 1' },
      { key: 'cagrPct', label: 'CAGR', kind: 'signedPct', hint: 'compound annual growth, 252 trading days a year' },
      {
        key: 'buyAndHoldReturnPct',
        label: 'Buy-and-hold return',
        kind: 'signedPct',
        hint: 'last close / first close - 1',
      },
      { key: 'exposurePct', label: 'Exposure time', kind: 'pct', hint: 'share of days in a position' },
    ],
  },
  {
    title: 'Risk',
    rows: [
      {
        key: 'volatilityPct',
        label: 'Volatility (annualised)',
        kind: 'pct',
        hint: 'stdev of daily returns x sqrt(252)',
      },
      {
        key: 'maxDrawdownPct',
        label: 'Max drawdown',
        kind: 'pct',
        hint: 'largest fall from a peak (a positive magnitude)',
      },
      { key: 'maxDrawdownPeakDate', label: 'Max drawdown peak', kind: 'date', hint: 'the peak it fell from' },
      { key: 'maxDrawdownTroughDate', label: 'Max drawdown trough', kind: 'date', hint: 'its lowest point' },
      {
        key: 'maxDrawdownRecoveryDate',
        label: 'Max drawdown recovery',
        kind: 'date',
        hint: 'first day back at the peak',
      },
      {
        key: 'maxDrawdownDurationDays',
        label: 'Max drawdown duration',
        kind: 'days',
        hint: 'peak to recovery (or to the end), trading days',
      },
      { key: 'sharpe', label: 'Sharpe ratio', kind: 'ratio', hint: 'mean / stdev of daily excess returns x sqrt(252)' },
      {
        key: 'sortino',
        label: 'Sortino ratio',
        kind: 'ratio',
        hint: 'mean excess return / downside deviation x sqrt(252)',
      },
      { key: 'calmar', label: 'Calmar ratio', kind: 'ratio', hint: 'CAGR / max drawdown' },
    ],
  },
  {
    title: 'Trades',
    rows: [
      { key: 'orders', label: 'Orders', kind: 'count', hint: 'each BUY and each SELL after the first day' },
      { key: 'roundTrips', label: 'Round trips', kind: 'count', hint: 'entries with their exits, open ones included' },
      {
        key: 'openRoundTrips',
        label: 'Open at the end',
        kind: 'count',
        hint: 'left out of the trade statistics below',
      },
      { key: 'winRatePct', label: 'Win rate', kind: 'pct', hint: 'closed trades with a profit' },
      { key: 'avgWinPct', label: 'Average win', kind: 'signedPct', hint: 'mean return of winning trades' },
      { key: 'avgLossPct', label: 'Average loss', kind: 'signedPct', hint: 'mean return of losing trades' },
      { key: 'profitFactor', label: 'Profit factor', kind: 'ratio', hint: 'gross profit / gross loss' },
      { key: 'expectancy', label: 'Expectancy', kind: 'money', hint: 'mean profit per closed trade' },
      { key: 'expectancyPct', label: 'Expectancy (return)', kind: 'signedPct', hint: 'mean return per closed trade' },
      { key: 'bestTradePct', label: 'Best trade', kind: 'signedPct', hint: 'highest trade return' },
      { key: 'worstTradePct', label: 'Worst trade', kind: 'signedPct', hint: 'lowest trade return' },
      { key: 'avgTradeDurationDays', label: 'Average trade duration', kind: 'days', hint: 'trading days held' },
      { key: 'sqn', label: 'SQN', kind: 'ratio', hint: 'sqrt(N) x mean / stdev of trade returns' },
    ],
  },
  {
    title: 'Signals',
    rows: [
      { key: 'numBuySignals', label: 'BUY signals', kind: 'count', hint: 'days the strategy said BUY' },
      {
        key: 'hitRate5dPct',
        label: 'Hit rate, 5 days',
        kind: 'pct',
        hint: 'BUY signals followed by a higher close 5 days later',
      },
      {
        key: 'hitRate20dPct',
        label: 'Hit rate, 20 days',
        kind: 'pct',
        hint: 'BUY signals followed by a higher close 20 days later',
      },
      {
        key: 'hitRate60dPct',
        label: 'Hit rate, 60 days',
        kind: 'pct',
        hint: 'BUY signals followed by a higher close 60 days later',
      },
    ],
  },
];

/** Shown for a metric that is undefined for the backtest (`null`). */
export const NOT_APPLICABLE = 'n/a';

const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A value in the format its kind reads best: `+12.34%`, `1.23`, `1,234.56`, `12 days`, a date, or `n/a`. */
export function formatMetricValue(kind: MetricKind, value: number | string | null): string {
  if (value === null) return NOT_APPLICABLE;
  if (typeof value === 'string') return value;
  switch (kind) {
    case 'signedPct':
      return `${value > 0 ? '+' : ''}${twoDecimals.format(value)}%`;
    case 'pct':
      return `${twoDecimals.format(value)}%`;
    case 'ratio':
    case 'money':
      return twoDecimals.format(value);
    case 'days':
      return `${oneDecimal.format(value)} ${value === 1 ? 'day' : 'days'}`;
    case 'count':
      return String(value);
    case 'date':
      return String(value);
  }
}

/** A money amount with two decimals and thousands separators. */
export function formatMoney(value: number): string {
  return twoDecimals.format(value);
}

/** The value of one row: from the summary's metrics, or its order count. */
export function metricRowValue(summary: MetricsTableInput, key: MetricRow['key']): number | string | null {
  return key === 'orders' ? summary.orders : summary.metrics[key];
}

/** The label and formatted value of every metric, section by section. */
export function formatMetrics(
  summary: MetricsTableInput,
): Array<{ key: MetricRow['key']; section: string; label: string; value: string; hint: string }> {
  const { metrics } = summary;
  return METRIC_SECTIONS.flatMap((section) =>
    section.rows.map((row) => ({
      key: row.key,
      section: section.title,
      label: row.label,
      value:
        row.key === 'maxDrawdownRecoveryDate' &&
        metrics.maxDrawdownRecoveryDate === null &&
        metrics.maxDrawdownPeakDate !== null
          ? 'not recovered'
          : formatMetricValue(row.kind, metricRowValue(summary, row.key)),
      hint: row.hint,
    })),
  );
}

/**
 * The headline of a backtest, label and formatted value, as the CLI, the
 * HTML report and the web pages show it: the summary's return and counts,
 * its metrics' buy-and-hold, drawdown (a positive magnitude) and Sharpe.
 */
export function backtestHeadline(
  summary: Pick<BacktestSummary, 'returnPct' | 'orders' | 'roundTrips' | 'metrics'>,
): Array<[string, string]> {
  const m = summary.metrics;
  return [
    ['Return', formatMetricValue('signedPct', summary.returnPct)],
    ['Buy & hold', formatMetricValue('signedPct', m.buyAndHoldReturnPct)],
    ['Max drawdown', formatMetricValue('pct', m.maxDrawdownPct)],
    ['Sharpe', formatMetricValue('ratio', m.sharpe)],
    ['Orders', formatMetricValue('count', summary.orders)],
    ['Round trips', formatMetricValue('count', summary.roundTrips)],
  ];
}
