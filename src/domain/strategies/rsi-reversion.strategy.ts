import { z } from 'zod';
import { wilderRsi, orNull, type BarSeries } from './bar-series';
import { defineStrategy, integerParam, numberParam } from './define-strategy';
import { CROSS_DOWN, CROSS_UP, type PreparedStrategy } from './strategy';

// Module-local copies for the hot loop (a bundler may turn imported bindings into getters).
const UP = CROSS_UP;
const DOWN = CROSS_DOWN;

/** Parameters of {@link rsiReversion}: RSI period and the oversold / overbought levels. */
export type RsiReversionParams = { period: number; lower: number; upper: number };

/**
 * RSI mean reversion. RSI is Wilder's (period 14 by default, first averages
 * are plain means of the first `period` close-to-close changes, then Wilder
 * smoothing), undefined for the first `period` days.
 * - cross up on day `i` when RSI crosses up through `lower`: `rsi[i-1] < lower` and `rsi[i] >= lower`
 *   (leaving oversold);
 * - cross down when RSI crosses down through `upper`: `rsi[i-1] > upper` and `rsi[i] <= upper`
 *   (leaving overbought);
 * - starts flat; undefined RSI compares false; signals from the shared state machine.
 */
export const rsiReversion = defineStrategy<RsiReversionParams>({
  name: 'rsi_reversion',
  version: 1,
  description: 'Buy when Wilder RSI(14) crosses up through 30, sell when it crosses down through 70',
  defaults: { period: 14, lower: 30, upper: 70 },
  paramsSchema: z
    .object({
      period: integerParam(2, 500, 'Days of the Wilder RSI'),
      lower: numberParam(0, 100, 'Oversold level: BUY when RSI crosses up through it'),
      upper: numberParam(0, 100, 'Overbought level: SELL when RSI crosses down through it'),
    })
    .strict()
    .refine((p) => p.lower < p.upper, { path: ['lower'], message: 'must be less than upper' }),
  rules: (p) =>
    `BUY when RSI(${p.period}) crosses up through ${p.lower} (leaving oversold); ` +
    `SELL when it crosses down through ${p.upper} (leaving overbought). In between: HOLD while in, WAIT while out.`,
  chart: (p) => ({
    overlays: [],
    panes: [
      {
        id: 'rsi',
        label: `RSI(${p.period})`,
        lines: [{ key: 'rsi', label: `RSI(${p.period})` }],
        levels: [p.lower, p.upper],
      },
    ],
  }),
  lookback: () => Number.POSITIVE_INFINITY,
  prepare(series: BarSeries, p: RsiReversionParams, events = new Uint8Array(series.length)): PreparedStrategy {
    const rsi = series.memo(`rsi:${p.period}`, () => wilderRsi(series.close, p.period));
    const n = series.length;
    events[0] = 0;
    for (let i = 1; i < n; i++) {
      const r = rsi[i];
      const r0 = rsi[i - 1];
      events[i] = r0 < p.lower && r >= p.lower ? UP : r0 > p.upper && r <= p.upper ? DOWN : 0;
    }
    const close = series.close;
    return {
      series,
      events,
      crossDownNeedsCountedCrossUp: false,
      initiallyOpen: () => false,
      inputs: (i) => ({ close: close[i], rsi: orNull(rsi[i]), rsiBefore: i > 0 ? orNull(rsi[i - 1]) : null }),
      lines: { rsi },
    };
  },
});
