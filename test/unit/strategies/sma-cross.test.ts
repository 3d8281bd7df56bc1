import { SMA } from 'technicalindicators';
import type { EnrichedBar } from '../../../src/domain/bar';
import { BadInputError } from '../../../src/domain/errors';
import {
  BarSeries,
  initialState,
  runStrategy,
  smaCross,
  stepStrategy,
  type Signal,
  type StrategyState,
} from '../../../src/domain/strategies';
import { bar, days } from './hand-made';
import { loadSeedBars } from './seed-bars';

/** A bar with the three averages sma_cross reads (null = undefined). */
function smaBar(
  date: string,
  close: number,
  sma7: number | null,
  sma21: number | null,
  sma50: number | null,
): EnrichedBar {
  return bar(date, close, { sma7, sma21, sma50 });
}

function signalsOf(bars: EnrichedBar[], state?: StrategyState): { signals: Signal[]; state: StrategyState } {
  const result = runStrategy('sma_cross', undefined, bars, state ? { initialState: state } : {});
  return { signals: result.records.map((r) => r.signal), state: result.state };
}

describe('sma_cross initial state (SEED.md)', () => {
  const prepare = (first: EnrichedBar) => smaCross.prepare(BarSeries.from([first]), smaCross.defaults);

  it('is open when sma7 > sma21 on the first day: BUY, cross up the day before, cross down two days before', () => {
    expect(initialState(prepare(smaBar('2024-03-01', 10, 2, 1, 1)))).toEqual({
      lastStatus: 'BUY',
      lastCrossUp: '2024-02-29',
      lastCrossDown: '2024-02-28',
      lastDate: '2024-03-01',
    });
  });

  it('is flat when sma7 <= sma21: SELL, cross down the day before, cross up two days before', () => {
    expect(initialState(prepare(smaBar('2024-01-01', 10, 1, 1, 1)))).toEqual({
      lastStatus: 'SELL',
      lastCrossUp: '2023-12-30',
      lastCrossDown: '2023-12-31',
      lastDate: '2024-01-01',
    });
  });

  it.each([
    ['sma7', null, 1],
    ['sma21', 2, null],
    ['both', null, null],
  ])('is flat when %s is undefined', (_label, sma7, sma21) => {
    expect(initialState(prepare(smaBar('2024-01-10', 10, sma7, sma21, 1))).lastStatus).toBe('SELL');
  });

  it('the replay of a single bar is just the initial state, with no signal', () => {
    const result = runStrategy('sma_cross', {}, [smaBar('2024-03-01', 10, 2, 1, 1)]);
    expect(result.records).toEqual([]);
    expect(result.state.lastStatus).toBe('BUY');
  });
});

describe('sma_cross rules traced by hand', () => {
  // Each row: close, sma7, sma21, sma50, and what the rules give, traced by hand.
  const d = days('2024-01-01', 17);
  const rows: Array<[number, number | null, number | null, number | null, Signal | null, string]> = [
    [1, 1, 2, 1, null, 'first day: sma7 < sma21, flat'],
    [3, 2, 2, 2, 'BUY', 'sma7 >= sma21 (equal) after <, close 3 > sma50 2: counted cross up'],
    [3, 3, 2, 2, 'HOLD', 'no cross, open'],
    [1, 1, 2, 2, 'SELL', 'cross down after the counted cross up'],
    [1, 1, 2, 2, 'WAIT', 'no cross, flat'],
    [1, 3, 2, 2, 'WAIT', 'cross up with close 1 < sma50 2: not counted'],
    [1, 1, 2, 2, 'WAIT', 'cross down, but lastCrossDown (day 4) is not < lastCrossUp (day 2): not counted'],
    [2, 3, 2, 2, 'WAIT', 'cross up with close == sma50: not counted (strictly above)'],
    [2, 3, 2, 2, 'WAIT', 'no cross (sma7 was already >= sma21)'],
    [2, 1, 2, 2, 'WAIT', 'cross down, not counted'],
    [2, 2, null, 2, 'WAIT', 'sma21 undefined: no comparison holds'],
    [5, 3, 2, 2, 'WAIT', 'cross up, but yesterday sma21 was undefined: false'],
    [5, 1, 2, 2, 'WAIT', 'cross down, not counted'],
    [5, 3, 2, null, 'WAIT', 'cross up, but sma50 undefined: false'],
    [5, 1, 2, 2, 'WAIT', 'cross down, not counted'],
    [5, 3, 2, 4, 'BUY', 'cross up with close 5 > sma50 4: counted'],
    [5, 1, 2, 4, 'SELL', 'cross down after it'],
  ];
  const bars = rows.map(([close, s7, s21, s50], i) => smaBar(d[i], close, s7, s21, s50));

  it('gives every day the signal of the rules', () => {
    const { signals, state } = signalsOf(bars);
    expect(signals).toEqual(rows.slice(1).map((r) => r[4]));
    expect(state).toEqual({ lastStatus: 'SELL', lastCrossUp: d[15], lastCrossDown: d[16], lastDate: d[16] });
  });

  it('records the numbers behind each decision', () => {
    const { records } = runStrategy('sma_cross', undefined, bars);
    expect(records[0]).toEqual({ date: d[1], signal: 'BUY', inputs: { close: 3, sma7: 2, sma21: 2, sma50: 2 } });
    expect(records[9].inputs).toEqual({ close: 2, sma7: 2, sma21: null, sma50: 2 });
  });

  it('keeps the uncounted cross up out of the state', () => {
    const { state } = signalsOf(bars.slice(0, 7));
    expect(state).toEqual({ lastStatus: 'SELL', lastCrossUp: d[1], lastCrossDown: d[3], lastDate: d[6] });
  });

  it('catching up from a stored state gives the same signals as one replay, day by day too', () => {
    const whole = runStrategy('sma_cross', undefined, bars);
    for (const k of [1, 5, 9, 16]) {
      const head = runStrategy('sma_cross', undefined, bars.slice(0, k + 1));
      // The state goes through JSON, as it does through Redis and Temporal.
      const stored = JSON.parse(JSON.stringify(head.state)) as StrategyState;
      const tail = runStrategy('sma_cross', undefined, bars, { initialState: stored });
      expect([...head.records, ...tail.records]).toEqual(whole.records);
      expect(tail.state).toEqual(whole.state);
    }
    const prepared = smaCross.prepare(BarSeries.from(bars), smaCross.defaults);
    let state = initialState(prepared, 0);
    for (let i = 1; i < bars.length; i++) {
      const step = stepStrategy(prepared, state, i);
      expect(step.signal).toBe(whole.records[i - 1].signal);
      state = step.state;
    }
    expect(state).toEqual(whole.state);
  });

  it('a state with nothing new to evaluate comes back unchanged', () => {
    const whole = runStrategy('sma_cross', undefined, bars);
    const again = runStrategy('sma_cross', undefined, bars, { initialState: whole.state });
    expect(again.records).toEqual([]);
    expect(again.state).toEqual(whole.state);
  });

  it('starts open and sells on the first cross down (initial cross down is before the initial cross up)', () => {
    const e = days('2024-02-01', 4);
    const open = [
      smaBar(e[0], 5, 3, 2, 1),
      smaBar(e[1], 5, 3, 2, 1),
      smaBar(e[2], 5, 1, 2, 1),
      smaBar(e[3], 5, 1, 2, 1),
    ];
    expect(signalsOf(open).signals).toEqual(['HOLD', 'SELL', 'WAIT']);
  });

  it('refuses to evaluate a day the state already covers', () => {
    const head = runStrategy('sma_cross', undefined, bars.slice(0, 5));
    expect(() => runStrategy('sma_cross', undefined, bars, { initialState: head.state, fromIndex: 4 })).toThrow(
      /already covers 2024-01-05/,
    );
  });

  it('rejects a malformed stored state', () => {
    const bad = {
      lastStatus: 'MAYBE',
      lastCrossUp: '2024-01-01',
      lastCrossDown: '2024-01-02',
      lastDate: '2024-01-03',
    } as unknown as StrategyState;
    expect(() => runStrategy('sma_cross', undefined, bars, { initialState: bad })).toThrow(/lastStatus/);
    expect(() =>
      runStrategy('sma_cross', undefined, bars, { initialState: { ...bad, lastStatus: 'BUY', lastDate: 'yesterday' } }),
    ).toThrow(/lastDate/);
  });
});

describe('sma_cross parameters', () => {
  it('defaults to 7/21/50 and accepts numeric strings (CLI k=v)', () => {
    expect(smaCross.parseParams()).toEqual({ fast: 7, slow: 21, trend: 50 });
    expect(smaCross.parseParams({ fast: '10', slow: 30 })).toEqual({ fast: 10, slow: 30, trend: 50 });
  });

  it.each([
    [{ fast: 0 }, /bad parameter fast/],
    [{ fast: 2.5 }, /bad parameter fast/],
    [{ slow: 'abc' }, /bad parameter slow/],
    [{ fast: 30, slow: 20 }, /bad parameter fast .*less than slow/],
    [{ speed: 3 }, /unknown parameter speed .*fast, slow, trend/],
  ])('rejects %j with a BadInputError naming the parameter', (params, message) => {
    expect(() => smaCross.parseParams(params)).toThrow(BadInputError);
    expect(() => smaCross.parseParams(params)).toThrow(message);
  });

  it('rejects parameters that are not an object', () => {
    expect(() => smaCross.parseParams([] as unknown as Record<string, unknown>)).toThrow(BadInputError);
  });
});

describe('sma_cross on the seed AAPL data', () => {
  const { bars } = loadSeedBars('AAPL_1980-12-12_2021-11-17_with_seed_sma.csv');

  it('computes non-stored periods from the closes, equal to technicalindicators', () => {
    const series = BarSeries.from(bars);
    const closes = bars.map((b) => b.close);
    for (const period of [10, 30]) {
      const expected = SMA.calculate({ period, values: closes });
      const ours = series.sma(period);
      expect(Number.isNaN(ours[period - 2])).toBe(true);
      let worst = 0;
      for (let i = period - 1; i < bars.length; i++)
        worst = Math.max(worst, Math.abs(ours[i] - expected[i - period + 1]));
      expect(worst).toBeLessThan(1e-9);
    }
  });

  it('computed averages equal the stored columns bit for bit, so both paths give the same signals', () => {
    const computed = BarSeries.from(bars, { useStoredIndicators: false });
    const stored = BarSeries.from(bars);
    for (const [period, column] of [
      [7, 'sma7'],
      [21, 'sma21'],
      [50, 'sma50'],
    ] as const) {
      const ours = computed.sma(period);
      const theirs = stored.stored(column);
      const differing = ours.filter((v, i) => !Object.is(v, theirs[i])).length;
      expect(differing).toBe(0);
      expect(Number.isNaN(ours[period - 2]) && ours[period - 1] > 0).toBe(true);
    }
    const viaStored = runStrategy('sma_cross', undefined, stored);
    const viaComputed = runStrategy('sma_cross', undefined, computed);
    expect(viaComputed.records).toEqual(viaStored.records);
    expect(viaStored.records.filter((r) => r.signal === 'BUY').length).toBeGreaterThan(50);
  });

  it('with fast=10, slow=30 uses those averages, not the stored sma7/sma21', () => {
    const tuned = runStrategy('sma_cross', { fast: 10, slow: 30 }, bars);
    const defaults = runStrategy('sma_cross', undefined, bars);
    expect(tuned.records.map((r) => r.signal)).not.toEqual(defaults.records.map((r) => r.signal));
    const buy = tuned.records.find((r) => r.signal === 'BUY')!;
    expect(Object.keys(buy.inputs)).toEqual(['close', 'sma10', 'sma30', 'sma50']);
    const i = bars.findIndex((b) => b.date === buy.date);
    const mean = (n: number) => bars.slice(i - n + 1, i + 1).reduce((s, b) => s + b.close, 0) / n;
    expect(buy.inputs.sma10).toBeCloseTo(mean(10), 9);
    expect(buy.inputs.sma30).toBeCloseTo(mean(30), 9);
  });

  it('needs only the lookback of bars before a day to give that day the same signal', () => {
    const params = { fast: 10, slow: 30, trend: 60 };
    const whole = runStrategy('sma_cross', params, bars);
    const lookback = smaCross.lookback(smaCross.parseParams(params));
    expect(lookback).toBe(60);
    const from = bars.length - 300;
    const stateBefore = runStrategy('sma_cross', params, bars.slice(0, from)).state;
    const partial = runStrategy('sma_cross', params, bars.slice(from - lookback), { initialState: stateBefore });
    expect(partial.records).toEqual(whole.records.slice(from - 1));
  });
});
