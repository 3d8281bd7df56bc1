import type { EnrichedBar } from '../../src/domain/bar';
import { runBacktest, roundHalfEven2, serializeBacktest } from '../../src/domain/backtest/engine';
import { addDays } from '../../src/domain/dates';
import { BadInputError } from '../../src/domain/errors';
import { BarSeries, runStrategy } from '../../src/domain/strategies';
import { bar, days } from './strategies/hand-made';
import { loadSeedBars } from './strategies/seed-bars';

const SHORT = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv').bars;

/**
 * The old backtester, written out plainly from SEED.md (strings for dates,
 * one object per day, no shared code with the engine): the reference the
 * engine's default must reproduce.
 */
function oldBacktester(bars: EnrichedBar[], capital = 1000) {
  const gt = (a: number | null, b: number | null) => a !== null && b !== null && a > b;
  const ge = (a: number | null, b: number | null) => a !== null && b !== null && a >= b;
  const lt = (a: number | null, b: number | null) => a !== null && b !== null && a < b;
  const first = bars[0];
  const open = gt(first.sma7, first.sma21);
  let lastCrossUp = addDays(first.date, open ? -1 : -2);
  let lastCrossDown = addDays(first.date, open ? -2 : -1);
  let lastStatus = open ? 'BUY' : 'SELL';
  let cash = capital;
  let shares = open ? capital / first.close : 0;
  let numTrades = 0;
  const book: Record<string, string> = {};
  for (let i = 1; i < bars.length; i++) {
    const [b, p] = [bars[i], bars[i - 1]];
    if (ge(b.sma7, b.sma21) && lt(p.sma7, p.sma21) && gt(b.close, b.sma50)) lastCrossUp = b.date;
    if (lt(b.sma7, b.sma21) && ge(p.sma7, p.sma21) && lastCrossDown < lastCrossUp) lastCrossDown = b.date;
    let signal: string;
    if (lastCrossUp > lastCrossDown) {
      signal = lastStatus === 'BUY' ? 'HOLD' : 'BUY';
    } else signal = lastStatus === 'BUY' ? 'SELL' : 'WAIT';
    if (signal === 'BUY' || signal === 'SELL') lastStatus = signal;
    if (signal === 'BUY') {
      shares = cash / b.close;
      numTrades++;
      book[b.date] = 'BUY';
    } else if (signal === 'SELL') {
      cash = shares * b.close;
      shares = 0;
      numTrades++;
      book[b.date] = 'SELL';
    }
  }
  const final = shares !== 0 ? shares * bars[bars.length - 1].close : cash;
  return { final, returnPct: Math.round(((final - capital) / capital) * 100 * 100) / 100, numTrades, book };
}

const bookOf = (trades: Array<{ date: string; side: string }>) =>
  Object.fromEntries(trades.map((t) => [t.date, t.side]));

describe('runBacktest default: the old backtester on the seed AAPL data', () => {
  it('traced by hand on 2005-04-01..2005-06-03 (initially open, a counted cross down, an uncounted cross up and cross down, a counted cross up)', () => {
    // 04-01: sma7 1.503520 > sma21 1.490170: open, 1000 / 1.46036 shares bought at the close (not a trade).
    // 04-14: sma7 1.492396 < sma21 1.501870 after >=, lastCrossDown 03-30 < lastCrossUp 03-31: SELL at 1.33071.
    // 05-11: cross up with close 1.27179 <= sma50 1.418221: not counted, WAIT.
    // 05-13: cross down, lastCrossDown 04-14 is not < lastCrossUp 03-31: not counted, WAIT.
    // 05-23: cross up with close 1.42 > sma50 1.388978: BUY at 1.42. 06-03: valued at the close 1.36571.
    const result = runBacktest({ bars: SHORT, strategy: 'sma_cross', startDate: '2005-04-01', endDate: '2005-06-03' });
    const initialShares = 1000 / 1.46036;
    const cashAfterSell = initialShares * 1.33071;
    const sharesBought = cashAfterSell / 1.42;
    expect(result.initialPosition).toEqual({
      date: '2005-04-01',
      side: 'BUY',
      price: 1.46036,
      shares: initialShares,
      fee: 0,
      signalDate: '2005-04-01',
    });
    expect(result.trades).toEqual([
      { date: '2005-04-14', side: 'SELL', price: 1.33071, shares: initialShares, fee: 0, signalDate: '2005-04-14' },
      { date: '2005-05-23', side: 'BUY', price: 1.42, shares: sharesBought, fee: 0, signalDate: '2005-05-23' },
    ]);
    expect(result.orders).toBe(2);
    expect(result.finalCapital).toBe(sharesBought * 1.36571);
    expect(result.returnPct).toBe(-12.36);
    expect([result.startDate, result.endDate, result.initialCapital]).toEqual(['2005-04-01', '2005-06-03', 1000]);
    const s = result.signals;
    const at = (date: string) => s[result.dates.indexOf(date)];
    expect([
      s[0],
      at('2005-04-04'),
      at('2005-04-14'),
      at('2005-04-15'),
      at('2005-05-11'),
      at('2005-05-13'),
      at('2005-05-23'),
      at('2005-06-03'),
    ]).toEqual([null, 'HOLD', 'SELL', 'WAIT', 'WAIT', 'WAIT', 'BUY', 'HOLD']);
    expect(result.equity[0]).toBeCloseTo(1000, 9);
    expect(result.equity[result.equity.length - 1]).toBe(result.finalCapital);
    expect(result.shares[result.dates.indexOf('2005-05-02')]).toBe(0);
  });

  it('only needs up to 199 earlier days of history, like the old system loaded', () => {
    const start = SHORT.findIndex((b) => b.date === '2005-04-01');
    const windowed = runBacktest({
      bars: SHORT.slice(start - 199),
      strategy: 'sma_cross',
      startDate: '2005-04-01',
      endDate: '2005-06-03',
    });
    const full = runBacktest({ bars: SHORT, strategy: 'sma_cross', startDate: '2005-04-01', endDate: '2005-06-03' });
    expect({ ...windowed, equity: [...windowed.equity] }).toEqual({ ...full, equity: [...full.equity] });
  });

  it.each([
    [undefined, undefined],
    ['2005-04-01', '2005-06-03'],
    ['2004-10-15', undefined],
    ['2007-01-03', '2009-12-31'],
    ['2010-06-01', undefined],
  ])('equals the plain old backtester from %s to %s', (startDate, endDate) => {
    const result = runBacktest({ bars: SHORT, strategy: 'sma_cross', startDate, endDate });
    const window = SHORT.filter((b) => (!startDate || b.date >= startDate) && (!endDate || b.date <= endDate));
    const old = oldBacktester(window);
    expect(result.finalCapital).toBeCloseTo(old.final, 9);
    expect(result.returnPct).toBe(old.returnPct);
    expect(result.orders).toBe(old.numTrades);
    expect(bookOf(result.trades)).toEqual(old.book);
  });

  describe('on the 1980-2021 file', () => {
    const { bars, seedSma } = loadSeedBars('AAPL_1980-12-12_2021-11-17_with_seed_sma.csv');
    const withOldColumns = bars.map((b) => {
      const old = seedSma.get(b.date)!;
      return { ...b, sma7: old.ma7, sma21: old.ma21, sma50: old.ma50, sma200: old.ma200 };
    });

    it('with the old system own (rounded) ma columns, gives the old system result', () => {
      const old = oldBacktester(withOldColumns);
      const result = runBacktest({ bars: withOldColumns, strategy: 'sma_cross' });
      expect(result.returnPct).toBe(old.returnPct);
      expect(result.orders).toBe(old.numTrades);
      expect(bookOf(result.trades)).toEqual(old.book);
    });

    it('our exact averages give the same trades as the old columns on 2004-2010, and over 41 years differ only on two rounding ties', () => {
      const window = { startDate: '2004-01-02', endDate: '2010-12-31' };
      const ours = runBacktest({ bars, strategy: 'sma_cross', ...window });
      const theirs = runBacktest({ bars: withOldColumns, strategy: 'sma_cross', ...window });
      expect(bookOf(ours.trades)).toEqual(bookOf(theirs.trades));
      expect(ours.returnPct).toBe(theirs.returnPct);
      // 1983-01-17 and 1993-01-22: the file's 6-digit sma7 and sma21 are equal (>= holds), the exact ones are not.
      const a = bookOf(runBacktest({ bars, strategy: 'sma_cross' }).trades);
      const b = bookOf(runBacktest({ bars: withOldColumns, strategy: 'sma_cross' }).trades);
      const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])]
        .filter((date) => a[date] !== b[date])
        .sort();
      expect(differing).toEqual(['1983-01-17', '1983-01-18', '1993-01-22', '1993-01-25']);
    });
  });

  it('rounds the percent gain like Python round(x, 2)', () => {
    expect(roundHalfEven2(12.344999)).toBe(12.34);
    expect(roundHalfEven2(-12.3551)).toBe(-12.36);
    expect(roundHalfEven2(0.125)).toBe(0.12);
    expect(roundHalfEven2(0.375)).toBe(0.38);
    expect(roundHalfEven2(-0.125)).toBe(-0.12);
    expect(roundHalfEven2(600.385)).toBe(600.38); // 600.385 is 600.38499999... in binary
  });
});

describe('runBacktest options on a hand-made series', () => {
  // Flat start (sma7 < sma21), a counted cross up on day 2 (close 10), a cross down on day 4 (close 12).
  const d = days('2024-01-01', 6);
  const rows: Array<[number, number, number, number]> = [
    // close, open, sma7, sma21 (sma50 = 1 below every close)
    [8, 8, 1, 2],
    [10, 9, 3, 2],
    [11, 10.5, 3, 2],
    [12, 11.5, 1, 2],
    [13, 12.5, 1, 2],
    [14, 13.5, 1, 2],
  ];
  const bars = rows.map(([close, open, sma7, sma21], i) => bar(d[i], close, { open, sma7, sma21, sma50: 1 }));
  const run = (options: Parameters<typeof runBacktest>[0]['options'], initialCapital = 1000) =>
    runBacktest({ bars, strategy: 'sma_cross', initialCapital, options });

  it('default: 100 shares at 10, sold at 12', () => {
    const r = run({});
    expect(r.trades.map((t) => [t.date, t.side, t.price, t.shares])).toEqual([
      [d[1], 'BUY', 10, 100],
      [d[3], 'SELL', 12, 100],
    ]);
    expect(r.finalCapital).toBe(1200);
    expect(r.returnPct).toBe(20);
    expect(Array.from(r.equity)).toEqual([1000, 1000, 1100, 1200, 1200, 1200]);
    expect(r.initialPosition).toBeNull();
    const json = JSON.parse(JSON.stringify(serializeBacktest(r)));
    expect(json.equityCurve[2]).toEqual({ date: d[2], equity: 1100, shares: 100, close: 11 });
    expect(json.signals[1]).toEqual({ date: d[1], signal: 'BUY' });
    expect([json.returnPct, json.orders, json.trades.length]).toEqual([20, 2, 2]);
  });

  it('commission per trade and in basis points', () => {
    // BUY: (1000 - 5) / (10 * 1.001) shares; fee 5 + 0.1% of their cost, so the cash is all spent.
    const r = run({ commissionPerTrade: 5, commissionBps: 10 });
    const bought = 995 / (10 * 1.001);
    const [buy, sell] = r.trades;
    expect(buy.shares).toBeCloseTo(bought, 12);
    expect(buy.fee).toBeCloseTo(5 + bought * 10 * 0.001, 12);
    expect(sell.fee).toBeCloseTo(5 + bought * 12 * 0.001, 12);
    expect(r.finalCapital).toBeCloseTo(bought * 12 - sell.fee, 9);
    expect(r.fees).toBeCloseTo(buy.fee + sell.fee, 12);
  });

  it('slippage fills buys above and sells below the price', () => {
    const r = run({ slippageBps: 50 });
    expect(r.trades[0].price).toBeCloseTo(10.05, 12);
    expect(r.trades[1].price).toBeCloseTo(11.94, 12);
    expect(r.finalCapital).toBeCloseTo((1000 / 10.05) * 11.94, 9);
  });

  it('whole shares keep the rest in cash', () => {
    const r = run({ wholeShares: true }, 1005);
    expect(r.trades[0].shares).toBe(100);
    expect(r.equity[1]).toBe(1005);
    expect(r.finalCapital).toBe(5 + 1200);
  });

  it('whole shares: a BUY the cash cannot pay for is not filled, nor is the SELL after it', () => {
    const r = run({ wholeShares: true }, 9);
    expect(r.trades).toEqual([]);
    expect(r.finalCapital).toBe(9);
    expect(r.signals.slice(1)).toEqual(['BUY', 'HOLD', 'SELL', 'WAIT', 'WAIT']);
  });

  it('next open fills at the following day open', () => {
    const r = run({ execution: 'next_open' });
    expect(r.trades.map((t) => [t.date, t.signalDate, t.side, t.price])).toEqual([
      [d[2], d[1], 'BUY', 10.5],
      [d[4], d[3], 'SELL', 12.5],
    ]);
    expect(r.finalCapital).toBeCloseTo((1000 / 10.5) * 12.5, 9);
    expect(r.equity[1]).toBe(1000);
  });

  it('next open: a position open from the first day is bought at the second day open; a last-day signal is not filled', () => {
    const openStart = bars.map((b, i) => (i === 0 ? { ...b, sma7: 3 } : b));
    const r = runBacktest({
      bars: openStart,
      strategy: 'sma_cross',
      endDate: d[3],
      options: { execution: 'next_open' },
    });
    expect(r.initialPosition).toMatchObject({ date: d[1], signalDate: d[0], price: 9, shares: 1000 / 9 });
    expect(r.signals).toEqual([null, 'HOLD', 'HOLD', 'SELL']);
    expect(r.trades).toEqual([]);
    expect(r.finalCapital).toBeCloseTo((1000 / 9) * 12, 9);
  });

  it.each([
    [{ strategy: 'nope' }, /unknown strategy "nope"/],
    [{ params: { fast: 50 } }, /bad parameter fast/],
    [{ startDate: '2023-12-01' }, /startDate 2023-12-01 is outside the stored data \(2024-01-01 to 2024-01-06\)/],
    [{ endDate: '2024-02-01' }, /endDate 2024-02-01 is outside/],
    [{ startDate: '2024-01-05', endDate: '2024-01-02' }, /startDate 2024-01-05 is after endDate/],
    [{ initialCapital: 0 }, /initialCapital/],
    [{ options: { slippageBps: -1 } }, /slippageBps/],
    [{ options: { commissionBps: Number.NaN } }, /commissionBps/],
    [{ options: { execution: 'tomorrow' as 'close' } }, /execution/],
  ])('rejects %j with a BadInputError saying which', (override, message) => {
    const input = { bars, strategy: 'sma_cross', ...override };
    expect(() => runBacktest(input)).toThrow(BadInputError);
    expect(() => runBacktest(input)).toThrow(message);
  });

  it('rejects a window with no trading day', () => {
    const gap = [bars[0], { ...bars[1], date: '2024-01-10' }];
    expect(() =>
      runBacktest({ bars: gap, strategy: 'sma_cross', startDate: '2024-01-03', endDate: '2024-01-05' }),
    ).toThrow(/no trading day/);
  });
});

describe('one strategy path and sweeps', () => {
  it('a backtest signals equal the daily replay signals from the same first day, for every strategy', () => {
    for (const strategy of [
      'sma_cross',
      'macd_cross',
      'rsi_reversion',
      'bollinger_reversion',
      'donchian_breakout',
      'buy_and_hold',
    ]) {
      const start = SHORT.findIndex((b) => b.date >= '2006-01-03');
      const backtest = runBacktest({ bars: SHORT, strategy, startDate: SHORT[start].date });
      const daily = runStrategy(strategy, undefined, SHORT, { fromIndex: start });
      expect(backtest.signals.slice(1)).toEqual(daily.records.map((r) => r.signal));
      expect(backtest.dates.slice(1)).toEqual(daily.records.map((r) => r.date));
    }
  });

  it('a sweep over one BarSeries reuses each distinct average and equals separate runs', () => {
    const series = BarSeries.from(SHORT);
    const grid = [5, 7, 10].flatMap((fast) => [21, 30].map((slow) => ({ fast, slow })));
    const swept = grid.map((params) => runBacktest({ bars: series, strategy: 'sma_cross', params }));
    const separate = grid.map((params) => runBacktest({ bars: SHORT, strategy: 'sma_cross', params }));
    expect(swept.map((r) => [r.finalCapital, r.orders, r.trades])).toEqual(
      separate.map((r) => [r.finalCapital, r.orders, r.trades]),
    );
    expect(new Set(swept.map((r) => r.finalCapital)).size).toBeGreaterThan(3);
    // The same array object comes back for an average already computed: computed once.
    expect(series.sma(10)).toBe(series.sma(10));
    expect(series.sma(7)).toBe(series.stored('sma7'));
  });

  it('summary output gives the same totals and trades without the per-day arrays', () => {
    const series = BarSeries.from(SHORT);
    const full = runBacktest({ bars: series, strategy: 'macd_cross', startDate: '2005-01-03' });
    const summary = runBacktest({ bars: series, strategy: 'macd_cross', startDate: '2005-01-03', output: 'summary' });
    expect([summary.finalCapital, summary.returnPct, summary.trades, summary.initialPosition]).toEqual([
      full.finalCapital,
      full.returnPct,
      full.trades,
      full.initialPosition,
    ]);
    expect([summary.equity.length, summary.signals.length, summary.dates.length]).toEqual([0, 0, 0]);
    expect(full.equity.length).toBe(full.dates.length);
  });

  it('is fast: one backtest over the 10,322 AAPL days', () => {
    const { bars } = loadSeedBars('AAPL_1980-12-12_2021-11-17_with_seed_sma.csv');
    const series = BarSeries.from(bars);
    for (let i = 0; i < 50; i++) runBacktest({ bars: series, strategy: 'sma_cross' });
    const t0 = performance.now();
    const runs = 200;
    for (let i = 0; i < runs; i++) runBacktest({ bars: series, strategy: 'sma_cross' });
    const perRun = (performance.now() - t0) / runs;
    // Target 2 ms; the bound is loose so that a busy CI machine does not fail it.
    expect(perRun).toBeLessThan(10);
  });
});
