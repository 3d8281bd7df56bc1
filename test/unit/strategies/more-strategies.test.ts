import { BollingerBands, RSI } from 'technicalindicators';
import { BadInputError } from '../../../src/domain/errors';
import {
  BarSeries,
  getStrategy,
  listStrategies,
  runStrategy,
  strategyRegistry,
  wilderRsi,
  type StrategyState,
} from '../../../src/domain/strategies';
import { bar, closesToBars, days } from './hand-made';
import { loadSeedBars } from './seed-bars';

const signals = (name: string, params: Record<string, unknown>, bars: ReturnType<typeof closesToBars>) =>
  runStrategy(name, params, bars).records.map((r) => r.signal);

describe('rsi_reversion', () => {
  // Wilder RSI(2) traced by hand: changes -1 -1 | +1 +1 +1 -1 -1 +0.5
  // avg gain/loss: 0/1 -> RSI 0; 0.5/0.5 -> 50; 0.75/0.25 -> 75; 0.875/0.125 -> 87.5;
  // 0.4375/0.5625 -> 43.75; 0.21875/0.78125 -> 21.875; 0.359375/0.390625 -> 47.916...
  const bars = closesToBars('2024-01-01', [10, 9, 8, 9, 10, 11, 10, 9, 9.5]);

  it('computes Wilder RSI', () => {
    const rsi = Array.from(wilderRsi(Float64Array.from(bars.map((b) => b.close)), 2));
    expect(rsi.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(rsi.slice(2, 8)).toEqual([0, 50, 75, 87.5, 43.75, 21.875]);
    expect(rsi[8]).toBeCloseTo(100 - 100 / (1 + 0.359375 / 0.390625), 12);
  });

  it('buys when RSI crosses up through the lower level and sells when it crosses down through the upper one', () => {
    // 0 -> 50 crosses up through 30: BUY; 87.5 -> 43.75 crosses down through 70: SELL; 21.875 -> 47.9: BUY.
    expect(signals('rsi_reversion', { period: 2 }, bars)).toEqual([
      'WAIT',
      'WAIT',
      'BUY',
      'HOLD',
      'HOLD',
      'SELL',
      'WAIT',
      'BUY',
    ]);
    expect(runStrategy('rsi_reversion', { period: 2 }, bars).records[2].inputs).toEqual({
      close: 9,
      rsi: 50,
      rsiBefore: 0,
    });
  });

  it('matches technicalindicators RSI(14) on AAPL (which rounds to 2 decimals)', () => {
    const { bars: aapl } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
    const closes = aapl.map((b) => b.close);
    const ours = wilderRsi(Float64Array.from(closes), 14);
    const theirs = RSI.calculate({ period: 14, values: closes });
    const offset = closes.length - theirs.length;
    expect(offset).toBe(14);
    let worst = 0;
    for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i + offset] - theirs[i]));
    expect(worst).toBeLessThanOrEqual(0.005 + 1e-9);
  });

  it('rejects lower >= upper', () => {
    expect(() => getStrategy('rsi_reversion').parseParams({ lower: 80 })).toThrow(/bad parameter lower/);
  });
});

describe('bollinger_reversion', () => {
  // Period 3, 1 standard deviation, traced by hand (population sd):
  // i=4 window 10,10,7: mean 9, sd 1.414, lower 7.586: close 7 falls below (was 10 >= 10): BUY
  // i=6 window 7,10,13: mean 10, sd 2.449, upper 12.449: close 13 rises above (was 10 <= 10.414): SELL
  // i=9 window 13,13,9: mean 11.667, sd 1.886, lower 9.781: close 9 falls below (was 13 >= 13): BUY
  const bars = closesToBars('2024-01-01', [10, 10, 10, 10, 7, 10, 13, 13, 13, 9]);

  it('buys on a close below the lower band and sells on a close above the upper band', () => {
    expect(signals('bollinger_reversion', { period: 3, stdDev: 1 }, bars)).toEqual([
      'WAIT',
      'WAIT',
      'WAIT',
      'BUY',
      'HOLD',
      'SELL',
      'WAIT',
      'WAIT',
      'BUY',
    ]);
    const inputs = runStrategy('bollinger_reversion', { period: 3, stdDev: 1 }, bars).records[3].inputs;
    expect(inputs.middle).toBe(9);
    expect(inputs.lower).toBeCloseTo(9 - Math.sqrt(2), 12);
    expect(inputs.upper).toBeCloseTo(9 + Math.sqrt(2), 12);
  });

  it('matches technicalindicators BollingerBands(20, 2) on AAPL', () => {
    const { bars: aapl } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
    const closes = aapl.map((b) => b.close);
    const theirs = BollingerBands.calculate({ period: 20, stdDev: 2, values: closes });
    const records = runStrategy('bollinger_reversion', undefined, aapl).records;
    let worst = 0;
    for (let i = 0; i < theirs.length; i++) {
      const inputs = records[i + 19 - 1].inputs;
      worst = Math.max(
        worst,
        Math.abs(inputs.lower! - theirs[i].lower),
        Math.abs(inputs.upper! - theirs[i].upper),
        Math.abs(inputs.middle! - theirs[i].middle),
      );
    }
    expect(worst).toBeLessThan(1e-9);
  });
});

describe('donchian_breakout', () => {
  // entry 3, exit 2; high = close + 0.5, low = close - 0.5, traced by hand:
  // i=3 close 4 < prior 2-day low 4.5: cross down while flat: WAIT
  // i=4 close 7 > prior 3-day high 6.5: BUY; i=6 close 5 < prior low 5.5: SELL; i=9 close 8 > prior high 5.5: BUY
  const closes = [5, 6, 5, 4, 7, 6, 5, 3, 4, 8];
  const d = days('2024-01-01', closes.length);
  const bars = closes.map((c, i) => bar(d[i], c, { high: c + 0.5, low: c - 0.5 }));

  it('buys on a close above the prior entry-day high and sells on a close below the prior exit-day low', () => {
    expect(signals('donchian_breakout', { entry: 3, exit: 2 }, bars)).toEqual([
      'WAIT',
      'WAIT',
      'WAIT',
      'BUY',
      'HOLD',
      'SELL',
      'WAIT',
      'WAIT',
      'BUY',
    ]);
    expect(runStrategy('donchian_breakout', { entry: 3, exit: 2 }, bars).records[3].inputs).toEqual({
      close: 7,
      channelHigh: 6.5,
      channelLow: 3.5,
    });
  });
});

describe('buy_and_hold', () => {
  it('is open from the first day and holds', () => {
    const result = runStrategy('buy_and_hold', undefined, closesToBars('2024-01-01', [1, 2, 3]));
    expect(result.records.map((r) => r.signal)).toEqual(['HOLD', 'HOLD']);
    expect(result.state).toEqual({
      lastStatus: 'BUY',
      lastCrossUp: '2023-12-31',
      lastCrossDown: '2023-12-30',
      lastDate: '2024-01-03',
    });
  });

  it('has no parameters', () => {
    expect(() => getStrategy('buy_and_hold').parseParams({ period: 3 })).toThrow(/unknown parameter period .*none/);
  });
});

describe('the registry', () => {
  it('lists every strategy with a version, a description and default parameters', () => {
    expect(listStrategies().map((s) => s.name)).toEqual([
      'sma_cross',
      'macd_cross',
      'rsi_reversion',
      'bollinger_reversion',
      'donchian_breakout',
      'buy_and_hold',
    ]);
    for (const info of listStrategies()) {
      expect(Number.isInteger(info.version) && info.version >= 1).toBe(true);
      expect(info.description.length).toBeGreaterThan(10);
      expect(getStrategy(info.name).parseParams()).toEqual(info.defaults);
    }
  });

  it('rejects an unknown strategy, listing the known ones', () => {
    expect(() => getStrategy('moon_phase')).toThrow(BadInputError);
    expect(() => getStrategy('moon_phase')).toThrow(
      /unknown strategy "moon_phase" \(known: sma_cross, macd_cross, rsi_reversion/,
    );
    expect(() => runStrategy('moon_phase', {}, closesToBars('2024-01-01', [1]))).toThrow(BadInputError);
  });
});

describe('every strategy on the seed AAPL data', () => {
  const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');

  it.each([...strategyRegistry.keys()])(
    '%s: catching up from a stored state equals one replay, and a finite lookback is enough',
    (name) => {
      const strategy = getStrategy(name);
      const whole = runStrategy(strategy, undefined, bars);
      const split = 1200;
      const head = runStrategy(strategy, undefined, bars.slice(0, split));
      const stored = JSON.parse(JSON.stringify(head.state)) as StrategyState;
      const tail = runStrategy(strategy, undefined, bars, { initialState: stored });
      expect([...head.records, ...tail.records]).toEqual(whole.records);
      expect(tail.state).toEqual(whole.state);
      if (name !== 'buy_and_hold') expect(whole.records.some((r) => r.signal === 'BUY')).toBe(true);
      const lookback = strategy.lookback(strategy.parseParams());
      if (Number.isFinite(lookback)) {
        const windowed = runStrategy(strategy, undefined, BarSeries.from(bars.slice(split - lookback)), {
          initialState: stored,
        });
        expect(windowed.records).toEqual(tail.records);
      }
    },
  );
});
