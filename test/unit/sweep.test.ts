import { SMA } from 'technicalindicators';
import { runBacktest } from '../../src/domain/backtest/engine';
import { computeMetrics } from '../../src/domain/backtest/metrics';
import {
  bestSweepRow,
  gridCombos,
  gridSize,
  parseGrid,
  sweepSeries,
  validateGrid,
} from '../../src/domain/backtest/sweep';
import { BadInputError } from '../../src/domain/errors';
import { BarSeries } from '../../src/domain/strategies';
import { loadSp500 } from './sp500-bars';

describe('parseGrid', () => {
  it('reads ranges with a step, ranges without one and single values', () => {
    expect(parseGrid('fast=5..20:5, slow=30..32,trend=50')).toEqual([
      { name: 'fast', values: [5, 10, 15, 20] },
      { name: 'slow', values: [30, 31, 32] },
      { name: 'trend', values: [50] },
    ]);
    expect(parseGrid('stdDev=1.5..3:0.5')[0].values).toEqual([1.5, 2, 2.5, 3]);
    expect(parseGrid('period=0.1..0.3:0.1')[0].values).toEqual([0.1, 0.2, 0.3]);
  });

  it('names the bad part', () => {
    const bad = (text: string) => () => parseGrid(text);
    expect(bad('fast=5..20:5,slow=30-40')).toThrow(/grid part "slow=30-40": expected name=a..b:step/);
    expect(bad('fast=5..20:0')).toThrow(/grid part "fast=5..20:0": the step must be greater than 0/);
    expect(bad('fast=20..5')).toThrow(/grid part "fast=20..5": the end 5 is below the start 20/);
    expect(bad('fast=1,fast=2')).toThrow(/grid part "fast=2": fast is given twice/);
    expect(bad('')).toThrow(BadInputError);
    expect(bad('=5')).toThrow(/grid part "=5"/);
  });

  it('caps the number of parameter sets', () => {
    expect(() => parseGrid('a=1..101,b=1..100')).toThrow(/10100 parameter sets, more than the 10000/);
    expect(() => parseGrid('a=1..1000000')).toThrow(/grid part "a=1..1000000": 1000000 values/);
    expect(gridSize(parseGrid('a=1..100,b=1..100'))).toBe(10_000);
  });

  it('enumerates the product, last axis fastest', () => {
    expect(gridCombos(parseGrid('a=1..2,b=5..6'))).toEqual([
      { a: 1, b: 5 },
      { a: 1, b: 6 },
      { a: 2, b: 5 },
      { a: 2, b: 6 },
    ]);
  });
});

describe('validateGrid', () => {
  it('fills in defaults and skips the sets the strategy refuses, saying why', () => {
    const v = validateGrid('sma_cross', parseGrid('fast=10..30:10,slow=20..30:10'));
    expect(v.combos).toEqual([
      { fast: 10, slow: 20, trend: 50 },
      { fast: 10, slow: 30, trend: 50 },
      { fast: 20, slow: 30, trend: 50 },
    ]);
    expect(v.skipped).toBe(3);
    expect(v.skippedReason).toMatch(/fast.*less than slow/);
  });

  it('rejects a parameter the strategy does not have, an unknown strategy, and a grid with no valid set', () => {
    expect(() => validateGrid('sma_cross', parseGrid('period=5..10'))).toThrow(
      /grid part period: sma_cross has no parameter period \(its parameters: fast, slow, trend\)/,
    );
    expect(() => validateGrid('nope', parseGrid('fast=5'))).toThrow(/unknown strategy "nope"/);
    expect(() => validateGrid('sma_cross', parseGrid('fast=50,slow=10'))).toThrow(
      /no parameter set is valid for sma_cross/,
    );
  });
});

describe('sweepSeries', () => {
  const aapl = loadSp500('AAPL');

  it('computes each moving average of the fast path like technicalindicators', () => {
    const series = BarSeries.from(aapl);
    const closes = aapl.map((b) => b.close);
    for (const period of [5, 7, 13, 21, 50, 90, 200]) {
      const ours = series.sma(period);
      const theirs = SMA.calculate({ period, values: closes });
      expect(theirs.length).toBe(closes.length - period + 1);
      for (let i = 0; i < period - 1; i++) expect(ours[i]).toBeNaN();
      theirs.forEach((v, k) => expect(Math.abs(ours[k + period - 1] - v)).toBeLessThanOrEqual(1e-9));
    }
  });

  it('computes each distinct moving average once per ticker, however many sets read it', () => {
    const series = BarSeries.from(aapl, { useStoredIndicators: false });
    const memo = series.memo.bind(series);
    const computed: string[] = [];
    // Record each key whose value is actually computed (a cache miss).
    jest
      .spyOn(series, 'memo')
      .mockImplementation(<T>(key: string, compute: () => T): T => memo(key, () => (computed.push(key), compute())));
    const combos = validateGrid('sma_cross', parseGrid('fast=5..15:5,slow=20..40:10,trend=50..100:50')).combos;
    expect(combos).toHaveLength(18);
    sweepSeries({ bars: series, strategy: 'sma_cross', combos });
    const smas = computed.filter((k) => k.startsWith('sma:'));
    expect(smas.sort()).toEqual(['sma:10', 'sma:100', 'sma:15', 'sma:20', 'sma:30', 'sma:40', 'sma:5', 'sma:50']);
  });

  it('gives for every set exactly what a separate full backtest gives', () => {
    const combos = validateGrid('sma_cross', parseGrid('fast=5..20:5,slow=21..60:13,trend=50..200:150')).combos;
    const from = '2014-01-02';
    const rows = sweepSeries({ bars: aapl, strategy: 'sma_cross', combos, startDate: from, initialCapital: 5000 });
    expect(rows).toHaveLength(combos.length);
    combos.forEach((params, c) => {
      // Fresh bars: no cache shared with the sweep.
      const alone = runBacktest({
        bars: aapl.map((b) => ({ ...b })),
        strategy: 'sma_cross',
        params,
        startDate: from,
        initialCapital: 5000,
      });
      const metrics = computeMetrics({
        dates: alone.dates,
        equity: [...alone.equity],
        closes: [...alone.close],
        inPosition: [...alone.shares].map((s) => s > 0),
        trades: [],
        buySignalIndexes: [],
      });
      expect(rows[c].params).toEqual(alone.params);
      expect(rows[c].returnPct).toBe(alone.returnPct);
      expect(rows[c].finalCapital).toBe(alone.finalCapital);
      expect(rows[c].numTrades).toBe(alone.orders);
      expect(rows[c].sharpe).toBeCloseTo(metrics.sharpe!, 9);
      expect(rows[c].maxDrawdownPct).toBeCloseTo(metrics.maxDrawdownPct!, 9);
    });
    expect(new Set(rows.map((r) => r.numTrades)).size).toBeGreaterThan(1);
  });

  it('works for a strategy on EMAs, and picks the best row by Sharpe with a minimum of trades', () => {
    const combos = validateGrid('macd_cross', parseGrid('fast=8..12:4,slow=21..26:5')).combos;
    const rows = sweepSeries({ bars: aapl, strategy: 'macd_cross', combos });
    rows.forEach((row, c) =>
      expect(row.returnPct).toBe(
        runBacktest({ bars: aapl.map((b) => ({ ...b })), strategy: 'macd_cross', params: combos[c] }).returnPct,
      ),
    );
    const best = bestSweepRow(rows)!;
    expect(rows.every((r) => (r.sharpe ?? -Infinity) <= best.sharpe!)).toBe(true);
    expect(bestSweepRow(rows, 10_000)).toBeNull();
  });
});
