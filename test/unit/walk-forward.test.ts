import { z } from 'zod';
import type { EnrichedBar } from '../../src/domain/bar';
import { parseGrid, validateGrid } from '../../src/domain/backtest/sweep';
import { walkForward, walkForwardWindows } from '../../src/domain/backtest/walk-forward';
import {
  CROSS_DOWN,
  CROSS_UP,
  defineStrategy,
  integerParam,
  type AnyStrategy,
  type BarSeries,
} from '../../src/domain/strategies';
import { bar, days } from './strategies/hand-made';
import { loadSp500 } from './sp500-bars';

/**
 * A scripted strategy (a fake for the pure domain): long from the close of
 * every day with `i % 10 === phase` to the close five days later.
 */
function scripted(name: string, maxPhase: number): AnyStrategy {
  return defineStrategy<{ phase: number }>({
    name,
    version: 1,
    description: 'test: long five days out of ten',
    defaults: { phase: 0 },
    paramsSchema: z.object({ phase: integerParam(0, maxPhase) }).strict(),
    lookback: () => 0,
    prepare(series: BarSeries, p, events = new Uint8Array(series.length)) {
      for (let i = 0; i < series.length; i++)
        events[i] = i === 0 ? 0 : i % 10 === p.phase ? CROSS_UP : i % 10 === (p.phase + 5) % 10 ? CROSS_DOWN : 0;
      return {
        series,
        events,
        crossDownNeedsCountedCrossUp: false,
        initiallyOpen: () => false,
        inputs: (i) => ({ close: series.close[i] }),
      };
    },
  }) as unknown as AnyStrategy;
}

/**
 * Closes that rise 1 % on days 1-5 of every ten and fall 1 % on days 6-10
 * before `flipAt`, and the reverse from `flipAt` on: phase 0 wins before the
 * flip and loses after it; phase 5 the opposite.
 */
function regimeBars(count: number, flipAt: number): EnrichedBar[] {
  const dates = days('2001-01-01', count);
  let close = 100;
  return dates.map((date, i) => {
    if (i > 0) {
      const firstHalf = i % 10 >= 1 && i % 10 <= 5;
      close *= firstHalf === i < flipAt ? 1.01 : 0.99;
    }
    return bar(date, close);
  });
}

const small = { trainDays: 100, testDays: 50, minTrainTrades: 2, minTestTrades: 4 };

describe('walkForwardWindows', () => {
  it('rolls train then test windows over the bars, whole test windows only', () => {
    const windows = walkForwardWindows(1259);
    expect(windows.map((w) => [w.trainStart, w.trainEnd, w.testStart, w.testEnd])).toEqual([
      [0, 503, 504, 629],
      [126, 629, 630, 755],
      [252, 755, 756, 881],
      [378, 881, 882, 1007],
      [504, 1007, 1008, 1133],
    ]);
    for (const w of walkForwardWindows(1000, { trainDays: 200, testDays: 60, stepDays: 30 })) {
      expect(w.testStart).toBe(w.trainEnd + 1);
      expect(w.testEnd - w.testStart + 1).toBe(60);
      expect(w.testEnd).toBeLessThan(1000);
    }
    expect(walkForwardWindows(629)).toEqual([]);
  });
});

describe('walkForward', () => {
  it('chooses on the train window only: the train-best that fails out of sample is judged by its failure', () => {
    const trendy = scripted('scripted', 9);
    const bars = regimeBars(150, 100);
    const result = walkForward({
      bars,
      candidates: [{ strategy: trendy, combos: [{ phase: 0 }, { phase: 5 }] }],
      options: small,
    });
    expect(result.windows).toBe(1);
    const [window] = result.candidates[0].windows;
    // Phase 0 won the train window; had the choice seen the test window it would have taken phase 5.
    expect(window.params).toEqual({ phase: 0 });
    expect(window.train!.returnPct).toBeGreaterThan(0);
    expect(window.test.returnPct).toBeLessThan(-10);
    expect(result.candidates[0].outOfSample.returnPct).toBe(window.test.returnPct);
    expect(result.recommendation).toBeNull();
  });

  it('ranks by out-of-sample results only: a worse train record with a better test record wins', () => {
    const tuned = scripted('tuned', 9);
    const contrarian = scripted('contrarian', 9);
    const bars = regimeBars(150, 100);
    const result = walkForward({
      bars,
      candidates: [
        { strategy: tuned, combos: [{ phase: 0 }, { phase: 5 }] },
        { strategy: contrarian, combos: [{ phase: 5 }] },
      ],
      options: small,
    });
    const byName = Object.fromEntries(result.candidates.map((c) => [c.strategy, c]));
    expect(byName.tuned.windows[0].train!.sharpe!).toBeGreaterThan(byName.contrarian.windows[0].train!.sharpe!);
    expect(byName.contrarian.outOfSample.returnPct).toBeGreaterThan(10);
    expect(result.candidates.map((c) => c.strategy)).toEqual(['contrarian', 'tuned']);
    expect(result.baseline!.returnPct).toBeLessThan(0);
    expect(result.recommendation).toEqual({
      strategy: 'contrarian',
      params: { phase: 5 },
      outOfSample: byName.contrarian.outOfSample,
    });
    // The evidence is per window, out of sample.
    expect(byName.contrarian.windows[0]).toMatchObject({
      trainFrom: bars[0].date,
      trainTo: bars[99].date,
      testFrom: bars[100].date,
      testTo: bars[149].date,
    });
  });

  it('never reads a bar after the train window to choose: changing the test bars changes nothing chosen', () => {
    const aapl = loadSp500('AAPL');
    const candidates = [
      {
        strategy: 'sma_cross',
        combos: validateGrid('sma_cross', parseGrid('fast=5..20:5,slow=30..90:30,trend=50')).combos,
      },
    ];
    const before = walkForward({ bars: aapl, candidates });
    expect(before.windows).toBe(5);
    const windows = walkForwardWindows(aapl.length);
    windows.forEach((w, k) => {
      // Every bar after the train window replaced by a crash-and-rally path (indicators recomputed from closes).
      // Every bar after the train window replaced by a swinging path (indicators recomputed from the closes).
      const changed = aapl.map((b, i) =>
        bar(b.date, i <= w.trainEnd ? b.close : b.close * (1 + 0.3 * Math.sin(i / 3))),
      );
      const after = walkForward({ bars: changed, candidates });
      expect(after.candidates[0].windows[k].params).toEqual(before.candidates[0].windows[k].params);
      expect(after.candidates[0].windows[k].train).toEqual(before.candidates[0].windows[k].train);
      expect(after.candidates[0].windows[k].test).not.toEqual(before.candidates[0].windows[k].test);
    });
  });

  it('requires a minimum of trades, says why, and gives no recommendation without an eligible strategy', () => {
    const bars = regimeBars(150, 100);
    const result = walkForward({
      bars,
      candidates: [{ strategy: 'sma_cross', combos: [{ fast: 5, slow: 10, trend: 1000 }] }],
      options: small,
    });
    expect(result.candidates[0].eligible).toBe(false);
    expect(result.candidates[0].windows[0].params).toBeNull();
    expect(result.candidates[0].reason).toMatch(/0 out-of-sample trades, fewer than the minimum 4/);
    expect(result.recommendation).toBeNull();
    expect(result.reason).toMatch(/no strategy met the minimums out of sample \(sma_cross: 0 out-of-sample trades/);

    const strict = walkForward({
      bars,
      candidates: [{ strategy: scripted('s', 9), combos: [{ phase: 5 }] }],
      options: { ...small, minTestTrades: 1000 },
    });
    expect(strict.recommendation).toBeNull();
    expect(strict.candidates[0].reason).toMatch(/fewer than the minimum 1000/);

    // Beating a falling buy-and-hold is not enough: the strategy must have a positive Sharpe out of sample.
    const losing = walkForward({
      bars,
      candidates: [{ strategy: scripted('loser', 9), combos: [{ phase: 0 }] }],
      options: small,
    });
    expect(losing.candidates[0].reason).toMatch(/^out-of-sample Sharpe -\d+\.\d+ is not positive$/);
    expect(losing.recommendation).toBeNull();
  });

  it('says when buy-and-hold did better, and when there is too little history', () => {
    const up = days('2001-01-01', 150).map((d, i) => bar(d, 100 * 1.003 ** i + 0.5 * Math.sin(i * 1.7)));
    const result = walkForward({
      bars: up,
      candidates: [{ strategy: scripted('s', 9), combos: [{ phase: 0 }] }],
      options: { ...small, minTestTrades: 1 },
    });
    expect(result.recommendation).toBeNull();
    expect(result.reason).toMatch(/^buy_and_hold did better out of sample/);
    const lax = walkForward({
      bars: up,
      candidates: [{ strategy: scripted('s', 9), combos: [{ phase: 0 }] }],
      options: { ...small, minTestTrades: 1, mustBeatBaseline: false },
    });
    expect(lax.recommendation?.strategy).toBe('s');

    const short = walkForward({ bars: up.slice(0, 120), candidates: [], options: small });
    expect(short.reason).toBe('too little history: 120 bars, a walk-forward needs at least 150 (train 100 + test 50)');
  });
});
