import { z } from 'zod';
import { orNull, type BarSeries } from './bar-series';
import { defineStrategy, integerParam } from './define-strategy';
import { CROSS_DOWN, CROSS_UP, type PreparedStrategy } from './strategy';

// Module-local copies for the hot loop (a bundler may turn imported bindings into getters).
const UP = CROSS_UP;
const DOWN = CROSS_DOWN;

/** Parameters of {@link macdCross}: EMA periods of the MACD line and of its signal line. */
export type MacdCrossParams = { fast: number; slow: number; signal: number };

/**
 * MACD cross (the old system's second strategy, SEED.md). With
 * `d = macd - signal` (MACD = EMA(fast) - EMA(slow) of the close, signal =
 * EMA(signal) of the MACD line):
 * - cross up on day `i` when `d[i-1] <= 0` and `d[i] > 0`;
 * - cross down when `d[i-1] >= 0` and `d[i] < 0`;
 * - no trend filter, no ordering condition; undefined values compare false;
 * - initially open when `d > 0` on the first day (flat when undefined).
 * Signals come from the shared state machine. Defaults 12/26/9 read the
 * stored macd/macdSignal columns; other periods are computed from the closes
 * with the same EMA as the stored columns (technicalindicators / TA-Lib: seeded
 * with the mean of the first N values; the old pandas EMA differs only in the
 * first months and gives the same crosses on the seed AAPL data).
 */
export const macdCross = defineStrategy<MacdCrossParams>({
  name: 'macd_cross',
  version: 1,
  description: 'MACD line crossing its signal line (the old system, 12/26/9)',
  defaults: { fast: 12, slow: 26, signal: 9 },
  paramsSchema: z
    .object({
      fast: integerParam(1, 1000, 'Days of the fast EMA of the close'),
      slow: integerParam(2, 1000, 'Days of the slow EMA of the close'),
      signal: integerParam(1, 1000, 'Days of the EMA of the MACD line (the signal line)'),
    })
    .strict()
    .refine((p) => p.fast < p.slow, { path: ['fast'], message: 'must be less than slow' }),
  rules: (p) =>
    `BUY when the MACD line (EMA(${p.fast}) - EMA(${p.slow}) of the close) crosses above its signal line ` +
    `(EMA(${p.signal}) of the MACD line); SELL when it crosses below. In between: HOLD while in, WAIT while out.`,
  chart: (p) => ({
    overlays: [],
    panes: [
      {
        id: 'macd',
        label: `MACD(${p.fast}, ${p.slow}, ${p.signal})`,
        lines: [
          { key: 'histogram', label: 'Histogram', kind: 'histogram' },
          { key: 'macd', label: 'MACD' },
          { key: 'macdSignal', label: `Signal(${p.signal})` },
        ],
        levels: [0],
      },
    ],
  }),
  lookback: (p) => (p.fast === 12 && p.slow === 26 && p.signal === 9 ? 1 : Number.POSITIVE_INFINITY),
  prepare(series: BarSeries, p: MacdCrossParams, events = new Uint8Array(series.length)): PreparedStrategy {
    const { macd, signal } = series.macd(p.fast, p.slow, p.signal);
    const n = series.length;
    let previous = macd[0] - signal[0];
    events[0] = 0;
    for (let i = 1; i < n; i++) {
      const d = macd[i] - signal[i];
      events[i] = previous <= 0 && d > 0 ? UP : previous >= 0 && d < 0 ? DOWN : 0;
      previous = d;
    }
    const close = series.close;
    return {
      series,
      events,
      crossDownNeedsCountedCrossUp: false,
      initiallyOpen: (i) => macd[i] - signal[i] > 0,
      inputs: (i) => ({
        close: close[i],
        macd: orNull(macd[i]),
        macdSignal: orNull(signal[i]),
        histogram: orNull(macd[i] - signal[i]),
      }),
      lines: {
        macd,
        macdSignal: signal,
        histogram: series.memo(`macdHist:${p.fast}:${p.slow}:${p.signal}`, () => macd.map((m, i) => m - signal[i])),
      },
    };
  },
});
