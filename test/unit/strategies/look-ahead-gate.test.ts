import { z } from 'zod';
import { defineStrategy } from '../../../src/domain/strategies/define-strategy';
import { lookAheadReferenceBars, refuseLookAhead } from '../../../src/config/look-ahead-on-load';
import { BUILT_IN_RULES } from '../../../src/domain/strategies/rules/built-in-rules';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import { CROSS_DOWN, CROSS_UP, type AnyStrategy } from '../../../src/domain/strategies/strategy';

/** Deliberately wrong: decides on day i from the close of day i + 1. */
const peeking = defineStrategy<Record<string, never>>({
  name: 'peeking',
  version: 1,
  description: 'Buys when tomorrow closes higher',
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

describe('the look-ahead gate a strategy passes before it is saved or loaded', () => {
  it('runs on one fixed reference series (the bundled AAPL sample) in which prices and volume move', () => {
    const bars = lookAheadReferenceBars();
    expect(lookAheadReferenceBars()).toEqual(bars);
    expect(bars.length).toBeGreaterThan(500);
    expect(new Set(bars.map((b) => b.volume)).size).toBeGreaterThan(bars.length / 2);
    expect(bars.every((b) => b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close))).toBe(true);
    expect(bars[bars.length - 1].sma200).not.toBeNull();
  });

  it.each(BUILT_IN_RULES.map((raw) => [(raw as { name: string }).name, raw] as const))(
    'lets the rule %s through',
    (_, raw) => {
      expect(() => refuseLookAhead(ruleStrategy(raw))).not.toThrow();
    },
  );

  it('refuses a strategy that reads the next day, naming the first day it decides differently', () => {
    const bars = lookAheadReferenceBars();
    // Day 0 has no event by construction; the first day whose next close differs from its own is the first to differ.
    const first = bars.findIndex((b, i) => i > 0 && bars[i + 1].close !== b.close);
    expect(() => refuseLookAhead(peeking)).toThrow(
      new RegExp(`^strategy peeking looks ahead: first on ${bars[first].date} \\(`),
    );
  });

  it('refuses a strategy whose declared lookback is shorter than its warm-up', () => {
    const rule = ruleStrategy({
      name: 'above_sma30',
      description: 'close above its 30-day average',
      entry: 'close crosses_above sma(30)',
      exit: 'close crosses_below sma(30)',
    });
    expect(() => refuseLookAhead(rule)).not.toThrow();
    const short = { ...rule, lookback: () => 3 } as AnyStrategy;
    expect(() => refuseLookAhead(short)).toThrow(/declares a lookback of 3 bars but needs \d+ bars of warm-up/);
  });
});
