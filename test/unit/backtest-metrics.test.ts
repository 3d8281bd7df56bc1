import { computeMetrics, hitRate, type MetricsInput, type MetricsTrade } from '../../src/domain/backtest/metrics';
import { BadInputError } from '../../src/domain/errors';

/** Consecutive ISO dates from 2024-01-01 (calendar gaps do not matter to the metrics). */
function days(count: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
}

function series(equity: number[], overrides: Partial<MetricsInput> = {}): MetricsInput {
  return {
    dates: days(equity.length),
    equity,
    closes: equity.map(() => 1),
    inPosition: equity.map(() => false),
    trades: [],
    buySignalIndexes: [],
    ...overrides,
  };
}

function trade(pnl: number, returnPct: number, barsHeld: number, open = false): MetricsTrade {
  return {
    entryDate: '2024-01-01',
    exitDate: open ? null : '2024-02-01',
    entryPrice: 100,
    exitPrice: 100 * (1 + returnPct / 100),
    shares: 1,
    pnl,
    returnPct,
    barsHeld,
  };
}

/** Every value is a string, null, or a finite number: what JSON and Postgres jsonb keep as is. */
function expectJsonSafe(metrics: object): void {
  for (const [key, value] of Object.entries(metrics)) {
    const ok = value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new Error(`${key} is not JSON-safe: ${String(value)}`);
  }
  expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
}

describe('computeMetrics on equity [100, 110, 99, 120] with 3 periods a year', () => {
  // Daily returns r = [+0.1, 99/110 - 1 = -0.1, 120/99 - 1 = 7/33].
  // mean(r) = (7/33) / 3 = 7/99.
  // Deviations from the mean (x 99): 2.9, -16.9, 14 -> squares 8.41 + 285.61 + 196 = 490.02;
  // sample variance = 490.02 / 99^2 / 2, so stdev(r) = sqrt(245.01) / 99.
  // P = 3 makes the 3 intervals exactly one year, so CAGR = total return.
  const input = series([100, 110, 99, 120], {
    closes: [10, 11, 9, 12.5],
    inPosition: [false, true, true, false],
    periodsPerYear: 3,
  });
  const m = computeMetrics(input);
  const stdev = Math.sqrt(245.01) / 99;

  it('total return, CAGR, buy-and-hold and exposure', () => {
    expect(m.totalReturnPct).toBeCloseTo(20, 10); // 120 / 100 - 1
    expect(m.cagrPct).toBeCloseTo(20, 10); // 1.2 ^ (3 / 3) - 1
    expect(m.buyAndHoldReturnPct).toBeCloseTo(25, 10); // 12.5 / 10 - 1
    expect(m.exposurePct).toBeCloseTo(50, 10); // 2 of 4 days in a position
  });

  it('annualised volatility, Sharpe and Sortino', () => {
    expect(m.volatilityPct).toBeCloseTo(stdev * Math.sqrt(3) * 100, 10); // ~27.39 %
    expect(m.volatilityPct).toBeCloseTo(27.3853, 3);
    // Sharpe = (7/99) / (sqrt(245.01)/99) * sqrt(3) = 7 sqrt(3) / sqrt(245.01)
    expect(m.sharpe).toBeCloseTo((7 * Math.sqrt(3)) / Math.sqrt(245.01), 10);
    expect(m.sharpe).toBeCloseTo(0.77459, 4);
    // Downside: only -0.1 is below 0, DD = sqrt(0.01 / 3) = 0.1 / sqrt(3);
    // Sortino = (7/99) / (0.1 / sqrt 3) * sqrt 3 = (7/99) * 3 / 0.1 = 210 / 99.
    expect(m.sortino).toBeCloseTo(210 / 99, 10);
  });

  it('max drawdown: 110 -> 99 is 10 %, recovered two days after the peak', () => {
    expect(m.maxDrawdownPct).toBeCloseTo(10, 10); // 1 - 99 / 110
    expect(m.maxDrawdownPeakDate).toBe('2024-01-02');
    expect(m.maxDrawdownTroughDate).toBe('2024-01-03');
    expect(m.maxDrawdownRecoveryDate).toBe('2024-01-04');
    expect(m.maxDrawdownDurationDays).toBe(2); // index 3 - index 1
    expect(m.calmar).toBeCloseTo(2, 10); // CAGR 0.2 / drawdown 0.1
  });

  it('a risk-free rate of 3 % a year is 1 % a day at 3 periods a year', () => {
    const withRate = computeMetrics({ ...input, riskFreeRate: 0.03 });
    // Sharpe = (7/99 - 0.01) / stdev * sqrt(3) = (6.01 / 99) / (sqrt(245.01) / 99) * sqrt(3)
    expect(withRate.sharpe).toBeCloseTo((6.01 / Math.sqrt(245.01)) * Math.sqrt(3), 10);
    // r - rf = [0.09, -0.11, 0.2021]: DD = sqrt(0.0121 / 3) = 0.11 / sqrt(3);
    // Sortino = (6.01 / 99) * 3 / 0.11 = 18.03 / 10.89
    expect(withRate.sortino).toBeCloseTo(18.03 / 10.89, 10);
    expect(withRate.totalReturnPct).toBe(m.totalReturnPct);
  });

  it('is JSON-safe and has no trade statistics without trades', () => {
    expectJsonSafe(m);
    expect(m.roundTrips).toBe(0);
    expect(m.openRoundTrips).toBe(0);
    expect(m.winRatePct).toBeNull();
    expect(m.avgWinPct).toBeNull();
    expect(m.avgLossPct).toBeNull();
    expect(m.profitFactor).toBeNull();
    expect(m.expectancy).toBeNull();
    expect(m.expectancyPct).toBeNull();
    expect(m.bestTradePct).toBeNull();
    expect(m.worstTradePct).toBeNull();
    expect(m.avgTradeDurationDays).toBeNull();
    expect(m.sqn).toBeNull();
    expect(m.numBuySignals).toBe(0);
    expect(m.hitRate5dPct).toBeNull();
  });
});

describe('computeMetrics annualises over 252 trading days by default', () => {
  it('253 days growing steadily from 100 to 110 is a 10 % CAGR with no volatility', () => {
    const equity = Array.from({ length: 253 }, (_, i) => 100 * 1.1 ** (i / 252));
    const m = computeMetrics(series(equity));
    expect(m.totalReturnPct).toBeCloseTo(10, 8);
    expect(m.cagrPct).toBeCloseTo(10, 8); // 252 intervals = exactly one year
    expect(m.volatilityPct).toBeCloseTo(0, 8);
    // Every daily return is the same: the deviation is rounding noise, so no Sharpe, no Sortino.
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.maxDrawdownPct).toBe(0);
    expect(m.calmar).toBeNull();
    expectJsonSafe(m);
  });

  it('126 days (half a year) doubling the money is a 300 % CAGR', () => {
    const equity = Array.from({ length: 127 }, (_, i) => 100 + (100 * i) / 126);
    // (200 / 100) ^ (252 / 126) - 1 = 4 - 1 = 3
    expect(computeMetrics(series(equity)).cagrPct).toBeCloseTo(300, 8);
  });
});

describe('computeMetrics trade statistics', () => {
  // Closed: +10 (+10 %, 3 days), -5 (-5 %, 5 days), +20 (+15 %, 10 days), 0 (0 %, 2 days).
  // Open at the end: +100 (+50 %, 7 days), left out of every trade statistic.
  const trades = [trade(10, 10, 3), trade(-5, -5, 5), trade(20, 15, 10), trade(0, 0, 2), trade(100, 50, 7, true)];
  const m = computeMetrics(series([100, 101, 102], { trades }));

  it('counts trades, open ones included', () => {
    expect(m.roundTrips).toBe(5);
    expect(m.openRoundTrips).toBe(1);
  });

  it('win rate counts a break-even trade in the denominator only', () => {
    expect(m.winRatePct).toBeCloseTo(50, 10); // 2 wins of 4 closed trades
  });

  it('average win and loss, profit factor and expectancy', () => {
    expect(m.avgWinPct).toBeCloseTo(12.5, 10); // (10 + 15) / 2
    expect(m.avgLossPct).toBeCloseTo(-5, 10);
    expect(m.profitFactor).toBeCloseTo(6, 10); // (10 + 20) / 5
    expect(m.expectancy).toBeCloseTo(6.25, 10); // (10 - 5 + 20 + 0) / 4
    expect(m.expectancyPct).toBeCloseTo(5, 10); // (10 - 5 + 15 + 0) / 4
  });

  it('best and worst trade and average duration', () => {
    expect(m.bestTradePct).toBe(15);
    expect(m.worstTradePct).toBe(-5);
    expect(m.avgTradeDurationDays).toBeCloseTo(5, 10); // (3 + 5 + 10 + 2) / 4
  });

  it('SQN = sqrt(N) mean / stdev of the trade returns', () => {
    // returns 10, -5, 15, 0: mean 5, squared deviations 25 + 100 + 100 + 25 = 250,
    // sample stdev sqrt(250 / 3); SQN = 2 * 5 / sqrt(250 / 3) = sqrt(1.2)
    expect(m.sqn).toBeCloseTo(Math.sqrt(1.2), 10);
  });

  it('only winning trades: profit factor null (not Infinity), no average loss', () => {
    const wins = computeMetrics(series([100, 110], { trades: [trade(5, 5, 1), trade(10, 10, 2)] }));
    expect(wins.profitFactor).toBeNull();
    expect(wins.avgLossPct).toBeNull();
    expect(wins.winRatePct).toBe(100);
    expectJsonSafe(wins);
  });

  it('only losing trades: profit factor 0, no average win', () => {
    const losses = computeMetrics(series([100, 90], { trades: [trade(-5, -5, 1), trade(-10, -10, 2)] }));
    expect(losses.profitFactor).toBe(0);
    expect(losses.avgWinPct).toBeNull();
    expect(losses.winRatePct).toBe(0);
  });

  it('one closed trade has no SQN; trades that all returned the same have none either', () => {
    expect(computeMetrics(series([100, 110], { trades: [trade(10, 10, 1)] })).sqn).toBeNull();
    expect(computeMetrics(series([100, 110], { trades: [trade(1, 3, 1), trade(2, 3, 1)] })).sqn).toBeNull();
  });

  it('only an open trade: counted, but every trade statistic is null', () => {
    const open = computeMetrics(series([100, 110], { trades: [trade(10, 10, 1, true)] }));
    expect(open.roundTrips).toBe(1);
    expect(open.openRoundTrips).toBe(1);
    expect(open.winRatePct).toBeNull();
    expect(open.expectancy).toBeNull();
    expectJsonSafe(open);
  });
});

describe('signal hit rate at 5, 20 and 60 trading days', () => {
  // 70 days (indexes 0..69), every close 100 except the ones set below.
  // BUY signals on 0, 10, 50, 64 and 65 (each at a close of 100).
  const closes = Array.from({ length: 70 }, () => 100);
  closes[5] = 101; // 0 + 5: higher -> hit
  closes[15] = 99; // 10 + 5: lower -> miss
  closes[55] = 100; // 50 + 5: equal is not higher -> miss
  closes[69] = 130; // 64 + 5 = 69, the last day: still judged -> hit; 65 + 5 = 70 is past the end
  closes[20] = 100; // 0 + 20: equal -> miss
  closes[30] = 105; // 10 + 20: hit; 50 + 20 = 70 is past the end
  closes[60] = 120; // 0 + 60: hit; 10 + 60 = 70 is past the end
  const signals = [0, 10, 50, 64, 65];

  it('excludes signals too close to the end from that horizon only', () => {
    expect(hitRate(closes, signals, 5)).toBeCloseTo(50, 10); // hits {0, 64} of {0, 10, 50, 64}
    expect(hitRate(closes, signals, 20)).toBeCloseTo(50, 10); // hit {10} of {0, 10}
    expect(hitRate(closes, signals, 60)).toBeCloseTo(100, 10); // hit {0} of {0}
    expect(hitRate(closes, [65], 5)).toBeNull();
  });

  it('is reported by computeMetrics with the number of signals', () => {
    const m = computeMetrics(series(closes, { closes, buySignalIndexes: signals }));
    expect(m.numBuySignals).toBe(5);
    expect(m.hitRate5dPct).toBeCloseTo(50, 10);
    expect(m.hitRate20dPct).toBeCloseTo(50, 10);
    expect(m.hitRate60dPct).toBeCloseTo(100, 10);
  });
});

describe('computeMetrics edge cases', () => {
  it('flat equity: zero volatility gives no Sharpe, Sortino or Calmar, and no drawdown', () => {
    const m = computeMetrics(series([100, 100, 100]));
    expect(m.totalReturnPct).toBe(0);
    expect(m.cagrPct).toBe(0);
    expect(m.volatilityPct).toBe(0);
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.calmar).toBeNull();
    expect(m.maxDrawdownPct).toBe(0);
    expect(m.maxDrawdownPeakDate).toBeNull();
    expect(m.maxDrawdownTroughDate).toBeNull();
    expect(m.maxDrawdownRecoveryDate).toBeNull();
    expect(m.maxDrawdownDurationDays).toBe(0);
    expectJsonSafe(m);
  });

  it('rising with no losing day: Sortino is null (no downside), Sharpe is defined', () => {
    const m = computeMetrics(series([100, 101, 103, 104]));
    expect(m.sortino).toBeNull();
    expect(m.sharpe).not.toBeNull();
  });

  it('a drawdown never recovered lasts until the last day', () => {
    // peak 120 (index 1), trough 90 (index 2): 1 - 90/120 = 25 %; 110 < 120 at the end.
    const m = computeMetrics(series([100, 120, 90, 100, 110]));
    expect(m.maxDrawdownPct).toBeCloseTo(25, 10);
    expect(m.maxDrawdownPeakDate).toBe('2024-01-02');
    expect(m.maxDrawdownTroughDate).toBe('2024-01-03');
    expect(m.maxDrawdownRecoveryDate).toBeNull();
    expect(m.maxDrawdownDurationDays).toBe(3); // index 4 - index 1
  });

  it('of two equally deep drawdowns, the first is reported; a deeper later one wins', () => {
    const equal = computeMetrics(series([100, 90, 100, 90, 100]));
    expect(equal.maxDrawdownPeakDate).toBe('2024-01-01');
    expect(equal.maxDrawdownTroughDate).toBe('2024-01-02');
    expect(equal.maxDrawdownRecoveryDate).toBe('2024-01-03');
    expect(equal.maxDrawdownDurationDays).toBe(2);
    // 100 -> 95 (5 %), then a new peak 200 -> 150 (25 %)
    const deeper = computeMetrics(series([100, 95, 200, 150, 160]));
    expect(deeper.maxDrawdownPct).toBeCloseTo(25, 10);
    expect(deeper.maxDrawdownPeakDate).toBe('2024-01-03');
    expect(deeper.maxDrawdownDurationDays).toBe(2); // not recovered: index 4 - index 2
  });

  it('an empty series gives nulls and zeros, never NaN', () => {
    const m = computeMetrics(series([]));
    expect(m.totalReturnPct).toBeNull();
    expect(m.cagrPct).toBeNull();
    expect(m.buyAndHoldReturnPct).toBeNull();
    expect(m.exposurePct).toBeNull();
    expect(m.volatilityPct).toBeNull();
    expect(m.maxDrawdownPct).toBeNull();
    expect(m.sharpe).toBeNull();
    expectJsonSafe(m);
  });

  it('one day: a 0 % return but no CAGR or volatility (no time has passed)', () => {
    const m = computeMetrics(series([100]));
    expect(m.totalReturnPct).toBe(0);
    expect(m.cagrPct).toBeNull();
    expect(m.volatilityPct).toBeNull();
    expect(m.sharpe).toBeNull();
    expectJsonSafe(m);
  });

  it('equity that hits zero: -100 % and undefined daily returns become null, not NaN', () => {
    const m = computeMetrics(series([100, 0, 0], { periodsPerYear: 2 }));
    expect(m.totalReturnPct).toBe(-100);
    expect(m.cagrPct).toBe(-100);
    expect(m.maxDrawdownPct).toBe(100);
    expect(m.volatilityPct).toBeNull(); // 0 / 0 - 1 is NaN
    expect(m.sharpe).toBeNull();
    expect(m.calmar).toBe(-1);
    expectJsonSafe(m);
  });

  it('rejects per-day arrays of different lengths and signals outside the series', () => {
    expect(() => computeMetrics(series([100, 110], { closes: [1] }))).toThrow(BadInputError);
    expect(() => computeMetrics(series([100, 110], { inPosition: [true] }))).toThrow(
      /inPosition has 1 values for 2 dates/,
    );
    expect(() => computeMetrics(series([100, 110], { buySignalIndexes: [2] }))).toThrow(/BUY signal index 2/);
    expect(() => computeMetrics(series([100, 110], { periodsPerYear: 0 }))).toThrow(BadInputError);
  });
});
