import { z } from 'zod';
import type { BarSeries } from './bar-series';
import { defineStrategy } from './define-strategy';
import type { PreparedStrategy } from './strategy';

/** buy_and_hold has no parameters. */
export type BuyAndHoldParams = Record<string, never>;

/**
 * Buy and hold, the baseline: open from the first day, no events, so every
 * later day is HOLD. In a backtest: all in at the first day's close, valued at the last.
 */
export const buyAndHold = defineStrategy<BuyAndHoldParams>({
  name: 'buy_and_hold',
  version: 1,
  description: 'Baseline: buy on the first day and hold',
  defaults: {},
  paramsSchema: z.object({}).strict() as unknown as z.ZodType<BuyAndHoldParams>,
  rules: () => 'BUY on the first day and hold: never SELL (the baseline every strategy is judged against).',
  chart: () => ({ overlays: [], panes: [] }),
  lookback: () => 0,
  prepare(series: BarSeries): PreparedStrategy {
    const close = series.close;
    return {
      series,
      events: series.memo('noEvents', () => new Uint8Array(series.length)),
      crossDownNeedsCountedCrossUp: false,
      initiallyOpen: () => true,
      inputs: (i) => ({ close: close[i] }),
    };
  },
});
