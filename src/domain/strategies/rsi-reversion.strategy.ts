import { z } from 'zod';
import { BadInputError } from '../errors';
import { wilderAverages, orNull, type BarSeries, type WilderSeed } from './bar-series';
import { defineStrategy, integerParam, numberParam } from './define-strategy';
import { CROSS_DOWN, CROSS_UP, type CarriedFrom, type PreparedStrategy } from './strategy';

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
  // Wilder's averages are recursive: exact only over the whole history, or from the ones the state carries.
  lookback: () => Number.POSITIVE_INFINITY,
  // The carried day's close is the one bar the next change needs.
  carriedLookback: () => 0,
  prepare(series: BarSeries, p: RsiReversionParams, events = new Uint8Array(series.length), carried?: CarriedFrom) {
    const seed = seedOf(series, carried);
    const averages = series.memo(`wilder:${p.period}${seed ? `@${seed.index}` : ''}`, () =>
      wilderAverages(series.close, p.period, seed),
    );
    const rsi = averages.rsi;
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
      carry: (i) =>
        Number.isNaN(averages.gain[i]) ? undefined : { avgGain: averages.gain[i], avgLoss: averages.loss[i] },
    } satisfies PreparedStrategy;
  },
});

/**
 * The Wilder seed of a carried state whose day is in `series`, else undefined
 * (replay from the first bar). Throws BadInputError for carried values that
 * are not averages (the state may come from Redis).
 */
function seedOf(series: BarSeries, carried: CarriedFrom | undefined): WilderSeed | undefined {
  if (!carried) return undefined;
  const { avgGain, avgLoss } = carried.values;
  for (const [key, value] of Object.entries({ avgGain, avgLoss })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new BadInputError(
        `strategy state of rsi_reversion: carry.${key} must be a finite number >= 0 (got ${JSON.stringify(value)})`,
      );
  }
  const index = series.indexOnOrAfter(carried.date);
  if (index >= series.length || series.dates[index] !== carried.date) return undefined;
  return { index, gain: avgGain, loss: avgLoss };
}
