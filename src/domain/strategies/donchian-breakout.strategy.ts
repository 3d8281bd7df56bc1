import { z } from 'zod';
import { priorHighest, priorLowest, orNull, type BarSeries } from './bar-series';
import { defineStrategy, integerParam } from './define-strategy';
import { CROSS_DOWN, CROSS_UP, type PreparedStrategy } from './strategy';

// Module-local copies for the hot loop (a bundler may turn imported bindings into getters).
const UP = CROSS_UP;
const DOWN = CROSS_DOWN;

/** Parameters of {@link donchianBreakout}: the entry and exit channel lengths in days. */
export type DonchianBreakoutParams = { entry: number; exit: number };

/**
 * Donchian channel breakout (the "turtle" rules, 20/10 by default):
 * - cross up on day `i` when the close is above the highest high of the
 *   `entry` days before `i` (a breakout);
 * - cross down when the close is below the lowest low of the `exit` days before `i`;
 * - starts flat; undefined channels (too little history) compare false;
 *   signals from the shared state machine.
 */
export const donchianBreakout = defineStrategy<DonchianBreakoutParams>({
  name: 'donchian_breakout',
  version: 1,
  description: 'Buy on a close above the 20-day high, sell on a close below the 10-day low',
  defaults: { entry: 20, exit: 10 },
  paramsSchema: z
    .object({
      entry: integerParam(1, 500, 'Days of the breakout channel (highest high before the day)'),
      exit: integerParam(1, 500, 'Days of the exit channel (lowest low before the day)'),
    })
    .strict(),
  rules: (p) =>
    `BUY when the close is above the highest high of the ${p.entry} days before; ` +
    `SELL when it is below the lowest low of the ${p.exit} days before. In between: HOLD while in, WAIT while out.`,
  chart: (p) => ({
    overlays: [
      { key: 'channelHigh', label: `${p.entry}-day high` },
      { key: 'channelLow', label: `${p.exit}-day low` },
    ],
    panes: [],
  }),
  lookback: (p) => Math.max(p.entry, p.exit),
  prepare(series: BarSeries, p: DonchianBreakoutParams, events = new Uint8Array(series.length)): PreparedStrategy {
    const high = series.memo(`priorHigh:${p.entry}`, () => priorHighest(series.high, p.entry));
    const low = series.memo(`priorLow:${p.exit}`, () => priorLowest(series.low, p.exit));
    const close = series.close;
    const n = series.length;
    events[0] = 0;
    for (let i = 1; i < n; i++) events[i] = (close[i] > high[i] ? UP : 0) | (close[i] < low[i] ? DOWN : 0);
    return {
      series,
      events,
      crossDownNeedsCountedCrossUp: false,
      initiallyOpen: () => false,
      inputs: (i) => ({ close: close[i], channelHigh: orNull(high[i]), channelLow: orNull(low[i]) }),
      lines: { channelHigh: high, channelLow: low },
    };
  },
});
