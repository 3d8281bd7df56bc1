import type { BarSeries } from '../strategies/bar-series';
import type { AnyStrategy, StrategyParams } from '../strategies/strategy';

/** One chart line's values, one per bar of the window; `null` where the indicator is undefined. */
export type IndicatorValues = Array<number | null>;

/** Rounded to 6 decimals: charts need no more, and JSON stays short. */
const rounded = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null);

/**
 * The lines of `strategy`'s chart spec (overlays over the price and the
 * panes' lines) with `params`, as the strategy itself computes them, over the
 * bars `start` to `end` of `series` (inclusive). The bars before `start` feed
 * the averages. A line the strategy does not compute is left out. The one
 * computation behind the ticker chart and the backtest chart.
 */
export function indicatorLines(
  series: BarSeries,
  strategy: AnyStrategy,
  params: StrategyParams,
  start: number,
  end: number,
): Record<string, IndicatorValues> {
  const spec = strategy.chart(params);
  const keys = [...spec.overlays, ...spec.panes.flatMap((p) => p.lines)].map((line) => line.key);
  const lines: Record<string, IndicatorValues> = {};
  if (keys.length === 0 || series.length === 0 || end < start) return lines;
  const prepared = strategy.prepare(series, params);
  for (const key of keys) {
    const values = prepared.lines?.[key];
    if (values) lines[key] = Array.from(values.subarray(Math.max(0, start), end + 1), rounded);
  }
  return lines;
}
