import { z } from 'zod';
import { defineStrategy } from '../../../src/domain/strategies/define-strategy';
import { checkLookAhead } from '../../../src/domain/strategies/look-ahead';
import { getStrategy } from '../../../src/domain/strategies/registry';
import { BUILT_IN_RULES } from '../../../src/domain/strategies/rules/built-in-rules';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import { CROSS_DOWN, CROSS_UP, type AnyStrategy } from '../../../src/domain/strategies/strategy';
import { near52WeekHigh } from '../../../examples/strategies/near-52-week-high.strategy';
import { loadSp500 } from '../sp500-bars';

/** Three real tickers, 400 bars each (the check prepares the strategy once per day). */
const SERIES = ['AAPL', 'XOM', 'NVDA'].map((ticker) => ({ ticker, bars: loadSp500(ticker).slice(0, 400) }));

/** Deliberately wrong: decides on day i from the close of day i + 1. */
const peeking = defineStrategy<Record<string, never>>({
  name: 'peeking',
  version: 1,
  description: 'Buys when tomorrow closes higher (impossible in real life)',
  defaults: {},
  paramsSchema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  lookback: () => 0,
  prepare(series, _p, events = new Uint8Array(series.length)) {
    const close = series.close;
    events[0] = 0;
    for (let i = 1; i < series.length; i++) {
      events[i] = close[i + 1] > close[i] ? CROSS_UP : close[i + 1] < close[i] ? CROSS_DOWN : 0;
    }
    return { series, events, crossDownNeedsCountedCrossUp: false, initiallyOpen: () => false, inputs: () => ({}) };
  },
}) as unknown as AnyStrategy;

const BUILT_INS = ['sma_cross', 'macd_cross', 'rsi_reversion', 'bollinger_reversion', 'donchian_breakout'];
const STRATEGIES: AnyStrategy[] = [
  ...BUILT_INS.map(getStrategy),
  getStrategy('buy_and_hold'),
  ...BUILT_IN_RULES.map((raw) => ruleStrategy(raw)),
  // The example plugin (examples/strategies) is held to the built-ins' proof.
  near52WeekHigh as unknown as AnyStrategy,
];

describe('no look-ahead, proven day by day', () => {
  it.each(STRATEGIES.map((s) => [s.name, s] as const))('%s: no day differs, the declared lookback suffices', (_, s) => {
    for (const { bars } of SERIES) {
      for (const params of [
        undefined,
        ...(s.name.startsWith('sma_cross') ? [{ fast: 10, slow: 30, trend: 60 }] : []),
        // A shorter window, so that most of the 400 days have a defined high.
        ...(s.name === 'near_52_week_high' ? [{ window: 50 }] : []),
      ]) {
        const report = checkLookAhead(s, params, bars);
        expect(report.firstDifference).toBeNull();
        expect(report.daysChecked).toBe(399);
        expect(report.warmUp.ok).toBe(true);
        expect(report.ok).toBe(true);
      }
    }
  });

  it('measures the warm-up: the stored SMA columns need none, computed SMAs their period', () => {
    const { bars } = SERIES[0];
    expect(checkLookAhead(getStrategy('sma_cross'), undefined, bars).warmUp).toMatchObject({
      needed: 0,
      converges: true,
      declared: 1,
    });
    const computed = checkLookAhead(getStrategy('sma_cross'), { fast: 10, slow: 30, trend: 60 }, bars).warmUp;
    expect(computed).toMatchObject({ needed: 59, converges: true, declared: 60, ok: true });
    expect(checkLookAhead(getStrategy('donchian_breakout'), undefined, bars).warmUp).toMatchObject({
      needed: 20,
      declared: 20,
    });
    // The example plugin's year-long high: exactly its declared window.
    expect(checkLookAhead(near52WeekHigh as unknown as AnyStrategy, undefined, bars).warmUp).toMatchObject({
      needed: 252,
      converges: true,
      declared: 252,
    });
    // Wilder RSI is recursive: the cut series never equals the whole one exactly.
    expect(checkLookAhead(getStrategy('rsi_reversion'), undefined, bars).warmUp).toMatchObject({
      converges: false,
      ok: true,
    });
  });

  it('catches a strategy that reads tomorrow, with the first offending day', () => {
    const { bars } = SERIES[0];
    const report = checkLookAhead(peeking, undefined, bars);
    const first = bars.findIndex((b, i) => i >= 1 && i + 1 < bars.length && bars[i + 1].close !== b.close);
    expect(report.ok).toBe(false);
    expect(report.firstDifference).toMatchObject({
      index: first,
      date: bars[first].date,
      what: 'events',
      truncated: 0,
    });
    expect(report.differingDays).toBeGreaterThan(300);
  });

  it('catches a declared lookback shorter than the warm-up the strategy needs', () => {
    const short = { ...getStrategy('donchian_breakout'), lookback: () => 5 };
    const report = checkLookAhead(short, undefined, SERIES[0].bars);
    expect(report.firstDifference).toBeNull();
    expect(report.warmUp).toMatchObject({ needed: 20, declared: 5, ok: false });
    expect(report.ok).toBe(false);
  });
});
