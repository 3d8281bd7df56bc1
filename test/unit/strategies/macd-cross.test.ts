import { EMA, MACD } from 'technicalindicators';
import type { EnrichedBar } from '../../../src/domain/bar';
import { BadInputError } from '../../../src/domain/errors';
import { BarSeries, emaOf, initialState, macdCross, runStrategy, type Signal } from '../../../src/domain/strategies';
import { bar, days } from './hand-made';
import { loadSeedBars } from './seed-bars';

function macdBar(date: string, macd: number | null, macdSignal: number | null): EnrichedBar {
  return bar(date, 10, { macd, macdSignal });
}

describe('macd_cross rules traced by hand', () => {
  const d = days('2024-01-01', 13);
  // d = macd - signal per day, and the signal the rules give.
  const rows: Array<[number | null, number | null, Signal | null, string]> = [
    [1, 2, null, 'first day: d = -1 <= 0, flat'],
    [2, 2, 'WAIT', 'd = 0: not > 0, no cross up'],
    [3, 2, 'BUY', 'd from 0 (<= 0) to 1 (> 0): cross up'],
    [4, 2, 'HOLD', 'd stays > 0'],
    [2, 2, 'HOLD', 'd from 2 to 0: not < 0, no cross down'],
    [1, 2, 'SELL', 'd from 0 (>= 0) to -1 (< 0): cross down'],
    [1, 3, 'WAIT', 'd stays < 0'],
    [null, 3, 'WAIT', 'macd undefined: no cross'],
    [5, 3, 'WAIT', 'd > 0 but yesterday undefined: no cross'],
    [1, 3, 'WAIT', 'cross down with no counted cross up in between: counted anyway (no ordering condition)'],
    [4, 3, 'BUY', 'cross up'],
    [4, null, 'HOLD', 'signal undefined'],
    [1, 3, 'HOLD', 'yesterday undefined: no cross down'],
  ];
  const bars = rows.map(([m, s], i) => macdBar(d[i], m, s));

  it('gives every day the signal of the rules', () => {
    const result = runStrategy('macd_cross', undefined, bars);
    expect(result.records.map((r) => r.signal)).toEqual(rows.slice(1).map((r) => r[2]));
    expect(result.state).toEqual({ lastStatus: 'BUY', lastCrossUp: d[10], lastCrossDown: d[9], lastDate: d[12] });
    expect(result.records[1].inputs).toEqual({ close: 10, macd: 3, macdSignal: 2, histogram: 1 });
  });

  it('counts a cross down without a counted cross up before it (unlike sma_cross)', () => {
    const state = runStrategy('macd_cross', undefined, bars.slice(0, 10)).state;
    expect(state.lastCrossDown).toBe(d[9]);
  });

  it('starts open when macd > signal on the first day, flat when equal or undefined', () => {
    const first = (m: number | null, s: number | null) =>
      initialState(macdCross.prepare(BarSeries.from([macdBar('2024-03-01', m, s)]), macdCross.defaults)).lastStatus;
    expect(first(2, 1)).toBe('BUY');
    expect(first(1, 1)).toBe('SELL');
    expect(first(null, 1)).toBe('SELL');
  });

  it('validates its parameters', () => {
    expect(macdCross.parseParams({ signal: '5' })).toEqual({ fast: 12, slow: 26, signal: 5 });
    expect(() => macdCross.parseParams({ fast: 26 })).toThrow(BadInputError);
    expect(() => macdCross.parseParams({ fast: 26 })).toThrow(/bad parameter fast/);
    expect(() => macdCross.parseParams({ signal: -1 })).toThrow(/bad parameter signal/);
  });
});

describe('macd_cross on the seed AAPL data', () => {
  const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
  const closes = bars.map((b) => b.close);

  it('computes EMAs like technicalindicators (seeded with the mean of the first N closes)', () => {
    const ours = emaOf(Float64Array.from(closes), 12);
    const theirs = EMA.calculate({ period: 12, values: closes, format: (x: number) => x });
    expect(Number.isNaN(ours[10])).toBe(true);
    let worst = 0;
    for (let i = 11; i < closes.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i - 11]));
    expect(worst).toBeLessThan(1e-12);
  });

  it('with non-default periods computes MACD from the closes, equal to technicalindicators MACD', () => {
    const { macd, signal } = BarSeries.from(bars).macd(8, 17, 9);
    const theirs = MACD.calculate({
      values: closes,
      fastPeriod: 8,
      slowPeriod: 17,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    const offset = closes.length - theirs.length;
    let worst = 0;
    for (let i = 0; i < theirs.length; i++) {
      if (theirs[i].signal === undefined) continue;
      worst = Math.max(
        worst,
        Math.abs(macd[i + offset] - theirs[i].MACD!),
        Math.abs(signal[i + offset] - theirs[i].signal!),
      );
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('default parameters: the computed path gives the same signals as the stored columns', () => {
    const stored = runStrategy('macd_cross', undefined, BarSeries.from(bars));
    const computed = runStrategy('macd_cross', undefined, BarSeries.from(bars, { useStoredIndicators: false }));
    expect(computed.records.map((r) => r.signal)).toEqual(stored.records.map((r) => r.signal));
    expect(stored.records.filter((r) => r.signal === 'BUY').length).toBeGreaterThan(20);
    const tuned = runStrategy('macd_cross', { fast: 8, slow: 17 }, bars);
    expect(tuned.records.map((r) => r.signal)).not.toEqual(stored.records.map((r) => r.signal));
  });
});
