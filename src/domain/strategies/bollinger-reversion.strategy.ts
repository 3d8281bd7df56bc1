import { z } from 'zod';
import { rollingStdDev, orNull, type BarSeries } from './bar-series';
import { defineStrategy, integerParam, numberParam } from './define-strategy';
import { CROSS_DOWN, CROSS_UP, type PreparedStrategy } from './strategy';

// Module-local copies for the hot loop (a bundler may turn imported bindings into getters).
const UP = CROSS_UP;
const DOWN = CROSS_DOWN;

/** Parameters of {@link bollingerReversion}: the band period and width in standard deviations. */
export type BollingerReversionParams = { period: number; stdDev: number };

/**
 * Bollinger-band mean reversion. Middle band = SMA(period) of the close,
 * bands = middle +/- `stdDev` population standard deviations of the same
 * `period` closes (20 and 2 by default).
 * - cross up on day `i` when the close crosses down through the lower band:
 *   `close[i] < lower[i]` and `close[i-1] >= lower[i-1]` (oversold: buy);
 * - cross down when the close crosses up through the upper band:
 *   `close[i] > upper[i]` and `close[i-1] <= upper[i-1]` (overbought: sell);
 * - starts flat; undefined bands compare false; signals from the shared state machine.
 */
export const bollingerReversion = defineStrategy<BollingerReversionParams>({
  name: 'bollinger_reversion',
  version: 1,
  description:
    'Buy when the close falls below the lower Bollinger band (20, 2σ), sell when it rises above the upper band',
  defaults: { period: 20, stdDev: 2 },
  paramsSchema: z
    .object({
      period: integerParam(2, 500, 'Days of the middle band (SMA) and of the standard deviation'),
      stdDev: numberParam(0.1, 10, 'Band width in standard deviations'),
    })
    .strict(),
  rules: (p) =>
    `BUY when the close falls below the lower band (SMA(${p.period}) - ${p.stdDev} standard deviations); ` +
    `SELL when it rises above the upper band (SMA(${p.period}) + ${p.stdDev} standard deviations). ` +
    'In between: HOLD while in, WAIT while out.',
  chart: (p) => ({
    overlays: [
      { key: 'upper', label: `Upper (${p.stdDev}σ)` },
      { key: 'middle', label: `SMA(${p.period})` },
      { key: 'lower', label: `Lower (${p.stdDev}σ)` },
    ],
    panes: [],
  }),
  lookback: (p) => p.period,
  prepare(series: BarSeries, p: BollingerReversionParams, events = new Uint8Array(series.length)): PreparedStrategy {
    const middle = series.sma(p.period);
    const deviation = series.memo(`stddev:${p.period}`, () => rollingStdDev(series.close, middle, p.period));
    const n = series.length;
    const lower = new Float64Array(n);
    const upper = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      lower[i] = middle[i] - p.stdDev * deviation[i];
      upper[i] = middle[i] + p.stdDev * deviation[i];
    }
    const close = series.close;
    events[0] = 0;
    for (let i = 1; i < n; i++) {
      const c = close[i];
      const c0 = close[i - 1];
      events[i] = c < lower[i] && c0 >= lower[i - 1] ? UP : c > upper[i] && c0 <= upper[i - 1] ? DOWN : 0;
    }
    return {
      series,
      events,
      crossDownNeedsCountedCrossUp: false,
      initiallyOpen: () => false,
      inputs: (i) => ({ close: close[i], middle: orNull(middle[i]), lower: orNull(lower[i]), upper: orNull(upper[i]) }),
      lines: { upper, middle, lower },
    };
  },
});
