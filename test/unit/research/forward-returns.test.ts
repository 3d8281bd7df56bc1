import { backtestPromise, forwardReturns, hitRates, isHit } from '../../../src/domain/research/forward-returns';
import { BarSeries, getStrategy, runStrategy } from '../../../src/domain/strategies';
import { closesToBars } from '../strategies/hand-made';
import { loadSeedBars } from '../strategies/seed-bars';

describe('forward returns', () => {
  const series = BarSeries.from(closesToBars('2024-01-01', [100, 101, 102, 103, 104, 110, 90, 95]));

  it('are the close h bars later against the signal day close, null past the last bar', () => {
    const f = forwardReturns(series, 1, [1, 4, 6, 7]);
    expect(f[0]).toEqual({
      days: 1,
      date: '2024-01-03',
      close: 102,
      returnPct: expect.closeTo((102 / 101 - 1) * 100, 12),
    });
    expect(f[1]).toMatchObject({ days: 4, date: '2024-01-06', close: 110 });
    expect(f[2]).toMatchObject({ days: 6, date: '2024-01-08', close: 95 });
    expect(f[3]).toEqual({ days: 7, date: null, close: null, returnPct: null });
  });

  it('respect a cut-off: bars at or after it do not exist', () => {
    expect(forwardReturns(series, 1, [4, 5], 6).map((r) => r.close)).toEqual([110, null]);
  });

  it('a BUY hits on a rise, a SELL on a fall, flat is no hit', () => {
    expect([
      isHit('BUY', 1),
      isHit('BUY', 0),
      isHit('BUY', -1),
      isHit('SELL', -1),
      isHit('SELL', 0),
      isHit('SELL', null),
    ]).toEqual([true, false, false, true, false, null]);
  });

  it('hit rates count only signals whose horizon the data reaches, with the mean return in the signal direction', () => {
    const stats = hitRates(
      [
        {
          signal: 'BUY',
          forward: [
            { days: 5, date: 'x', close: 1, returnPct: 2 },
            { days: 20, date: null, close: null, returnPct: null },
          ],
        },
        {
          signal: 'SELL',
          forward: [
            { days: 5, date: 'x', close: 1, returnPct: 4 },
            { days: 20, date: 'x', close: 1, returnPct: -3 },
          ],
        },
        {
          signal: 'SELL',
          forward: [
            { days: 5, date: 'x', close: 1, returnPct: -1 },
            { days: 20, date: 'x', close: 1, returnPct: -5 },
          ],
        },
      ],
      [5, 20],
    );
    expect(stats[0]).toEqual({ days: 5, signals: 3, hits: 2, hitRate: 2 / 3, meanEdgePct: (2 - 4 + 1) / 3 });
    expect(stats[1]).toEqual({ days: 20, signals: 2, hits: 2, hitRate: 1, meanEdgePct: 4 });
    expect(hitRates([], [5])).toEqual([{ days: 5, signals: 0, hits: 0, hitRate: null, meanEdgePct: null }]);
  });
});

describe('what a backtest promised before a date', () => {
  const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
  const series = BarSeries.from(bars);
  const before = '2009-01-02';

  it.each(['sma_cross', 'rsi_reversion', 'donchian_breakout'])(
    '%s: the replayed BUYs and SELLs before the cut-off, judged on earlier bars only',
    (name) => {
      const strategy = getStrategy(name);
      const params = strategy.parseParams();
      const promise = backtestPromise({ bars: series, strategy, params, before });
      // The same signals as the daily job's replay over the bars before the cut-off.
      const head = bars.filter((b) => b.date < before);
      const replay = runStrategy(strategy, params, head).records.filter(
        (r) => r.signal === 'BUY' || r.signal === 'SELL',
      );
      expect(promise.buys + promise.sells).toBe(replay.length);
      expect(promise.buys).toBe(replay.filter((r) => r.signal === 'BUY').length);
      expect(promise.buys).toBeGreaterThan(2);
      expect(promise).toMatchObject({ from: '2004-01-02', to: head[head.length - 1].date });
      // Recomputed from the replay's dates on the head alone: nothing after the cut-off is read.
      const headSeries = BarSeries.from(head);
      const outcomes = replay.map((r) => ({
        signal: r.signal as 'BUY' | 'SELL',
        forward: forwardReturns(headSeries, headSeries.indexOnOrAfter(r.date)),
      }));
      expect(promise.horizons).toEqual(hitRates(outcomes));
    },
  );

  it('is empty before the first bar', () => {
    const p = backtestPromise({
      bars: series,
      strategy: getStrategy('sma_cross'),
      params: getStrategy('sma_cross').parseParams(),
      before: '2000-01-01',
    });
    expect(p).toMatchObject({ from: null, to: null, buys: 0, sells: 0 });
    expect(p.horizons.every((h) => h.signals === 0 && h.hitRate === null)).toBe(true);
  });
});
