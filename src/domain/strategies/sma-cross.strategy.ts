import { z } from 'zod';
import { orNull, type BarSeries } from './bar-series';
import { defineStrategy, integerParam } from './define-strategy';
import { CROSS_DOWN, CROSS_UP, type PreparedStrategy } from './strategy';

// Module-local copies for the hot loop (a bundler may turn imported bindings into getters).
const UP = CROSS_UP;
const DOWN = CROSS_DOWN;

/** Parameters of {@link smaCross}: the periods of the fast, slow and trend-filter SMAs of the close. */
export type SmaCrossParams = { fast: number; slow: number; trend: number };

/**
 * SMA cross (the old system's strategy, SEED.md, exact). Per day `i` from the second:
 * - cross up when `smaFast[i] >= smaSlow[i]` and `smaFast[i-1] < smaSlow[i-1]`
 *   and `close[i] > smaTrend[i]`;
 * - cross down when `smaFast[i] < smaSlow[i]` and `smaFast[i-1] >= smaSlow[i-1]`,
 *   counted only when `lastCrossDown < lastCrossUp` (after a counted cross up);
 * - any comparison with an undefined average is false;
 * - initially open when `smaFast > smaSlow` on the first day (flat when undefined).
 * Signals come from the shared state machine. Defaults 7/21/50 read the
 * stored sma7/sma21/sma50 columns; other periods are computed from the closes.
 */
export const smaCross = defineStrategy<SmaCrossParams>({
  name: 'sma_cross',
  version: 1,
  description: 'Fast SMA crossing the slow SMA, entries only above the trend SMA (the old system, 7/21/50)',
  defaults: { fast: 7, slow: 21, trend: 50 },
  paramsSchema: z
    .object({
      fast: integerParam(1, 1000, 'Days of the fast SMA'),
      slow: integerParam(2, 1000, 'Days of the slow SMA'),
      trend: integerParam(1, 1000, 'Days of the trend SMA: entries only when the close is above it'),
    })
    .strict()
    .refine((p) => p.fast < p.slow, { path: ['fast'], message: 'must be less than slow' }),
  rules: (p) =>
    `BUY when SMA(${p.fast}) crosses above SMA(${p.slow}) while the close is above SMA(${p.trend}); ` +
    `SELL when SMA(${p.fast}) crosses back below SMA(${p.slow}) after a counted cross up. ` +
    'In between: HOLD while in the market, WAIT while out.',
  chart: (p) => ({
    overlays: [
      { key: `sma${p.fast}`, label: `SMA(${p.fast})` },
      { key: `sma${p.slow}`, label: `SMA(${p.slow})` },
      { key: `sma${p.trend}`, label: `SMA(${p.trend})` },
    ],
    panes: [],
  }),
  lookback: (p) => (p.fast === 7 && p.slow === 21 && p.trend === 50 ? 1 : Math.max(p.fast, p.slow, p.trend)),
  prepare(series: BarSeries, p: SmaCrossParams, events = new Uint8Array(series.length)): PreparedStrategy {
    const fast = series.sma(p.fast);
    const slow = series.sma(p.slow);
    const trend = series.sma(p.trend);
    const close = series.close;
    const n = series.length;
    events[0] = 0;
    for (let i = 1; i < n; i++) {
      const f = fast[i];
      const s = slow[i];
      const f0 = fast[i - 1];
      const s0 = slow[i - 1];
      // NaN makes every comparison false, as SEED.md requires for undefined averages.
      events[i] = f >= s && f0 < s0 && close[i] > trend[i] ? UP : f < s && f0 >= s0 ? DOWN : 0;
    }
    const [kFast, kSlow, kTrend] = [`sma${p.fast}`, `sma${p.slow}`, `sma${p.trend}`];
    return {
      series,
      events,
      crossDownNeedsCountedCrossUp: true,
      initiallyOpen: (i) => fast[i] > slow[i],
      inputs: (i) => ({
        close: close[i],
        [kFast]: orNull(fast[i]),
        [kSlow]: orNull(slow[i]),
        [kTrend]: orNull(trend[i]),
      }),
      lines: { [kFast]: fast, [kSlow]: slow, [kTrend]: trend },
    };
  },
});
