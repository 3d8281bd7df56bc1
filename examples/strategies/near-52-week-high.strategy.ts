/**
 * An example strategy plugin (README, "Strategy plugins"): 52-week-high
 * momentum after George and Hwang (2004), who found that stocks trading near
 * their 52-week high tend to keep rising. Load it with
 * `strategies.modules: [examples/strategies]` (or ALGO_STRATEGY_MODULES=examples/strategies),
 * then name `near_52_week_high` like any built-in.
 */
import {
  CROSS_DOWN,
  CROSS_UP,
  defineStrategy,
  integerParam,
  numberParam,
  orNull,
  priorHighest,
  z,
  type BarSeries,
  type PreparedStrategy,
} from '../../src/domain/strategies/plugin-api';

/** The high's window in trading days, and the distances below it (percent) that enter and leave. */
export type Near52WeekHighParams = { window: number; near: number; exit: number };

export const near52WeekHigh = defineStrategy<Near52WeekHighParams>({
  name: 'near_52_week_high',
  version: 1,
  description: 'Buy near the 52-week high (within 5%), sell 15% below it',
  defaults: { window: 252, near: 5, exit: 15 },
  paramsSchema: z
    .object({
      window: integerParam(20, 1000, 'Trading days of the high (252: a year)'),
      near: numberParam(0, 50, 'Enter when the close is at most this many percent below the high'),
      exit: numberParam(0.1, 90, 'Leave when the close is more than this many percent below the high'),
    })
    .strict()
    .refine((p) => p.near < p.exit, { message: 'near must be below exit', path: ['near'] }),
  rules: (p) =>
    `BUY when the close is within ${p.near}% of the highest high of the ${p.window} days before; ` +
    `SELL when it is more than ${p.exit}% below it. In between: HOLD while in, WAIT while out.`,
  chart: (p) => ({
    overlays: [
      { key: 'high', label: `${p.window}-day high` },
      { key: 'exitLevel', label: `${p.exit}% below it` },
    ],
    panes: [],
  }),
  // The high of day i reads the `window` days before it: no earlier bar matters.
  lookback: (p) => p.window,
  prepare(series: BarSeries, p: Near52WeekHighParams, events = new Uint8Array(series.length)): PreparedStrategy {
    // Cached in the series: a sweep over `near` and `exit` computes the high once per window.
    const high = series.memo(`priorHigh:${p.window}`, () => priorHighest(series.high, p.window));
    const close = series.close;
    const n = series.length;
    const exitLevel = new Float64Array(n);
    for (let i = 0; i < n; i++) exitLevel[i] = high[i] * (1 - p.exit / 100);
    events[0] = 0;
    for (let i = 1; i < n; i++) {
      // An undefined high (NaN: under a window of history) compares false: no event.
      const nearHigh = close[i] >= high[i] * (1 - p.near / 100);
      events[i] = (nearHigh ? CROSS_UP : 0) | (close[i] < exitLevel[i] ? CROSS_DOWN : 0);
    }
    return {
      series,
      events,
      crossDownNeedsCountedCrossUp: false,
      initiallyOpen: () => false,
      inputs: (i) => ({ close: close[i], high: orNull(high[i]), exitLevel: orNull(exitLevel[i]) }),
      lines: { high, exitLevel },
    };
  },
});
