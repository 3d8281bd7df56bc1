import fs from 'node:fs';
import path from 'node:path';
import { parsePriceCsv } from '../../../src/adapters/market-data/csv-market-data.provider';
import type { EnrichedBar } from '../../../src/domain/bar';
import { BadInputError } from '../../../src/domain/errors';
import { enrichBars } from '../../../src/domain/indicators';
import { validatePriceRows } from '../../../src/domain/price-validation';
import { rsiReversion, runStrategy, type StrategyState } from '../../../src/domain/strategies';
import { loadSeedBars } from './seed-bars';

const SAMPLE = path.resolve(__dirname, '../../../data/sample');

/** A sample ticker's bars as the daily job stores them. */
function sampleBars(file: string): EnrichedBar[] {
  const text = fs.readFileSync(path.join(SAMPLE, file), 'utf8');
  return enrichBars(validatePriceRows(parsePriceCsv(text, file), { asOf: '2100-01-01' }).bars, []);
}

const REAL_TICKERS: Array<[string, () => EnrichedBar[]]> = [
  ['AAPL 1980-2021 (seed)', () => loadSeedBars('AAPL_1980-12-12_2021-11-17_with_seed_sma.csv').bars],
  ...fs
    .readdirSync(SAMPLE)
    .filter((f) => f.endsWith('.csv'))
    .map((f): [string, () => EnrichedBar[]] => [f, () => sampleBars(f)]),
];

/** The daily job, day after day from `start`: each day reads only the carried day's bar and the new one. */
function dayByDay(
  bars: readonly EnrichedBar[],
  params: { period: number; lower: number; upper: number },
  start: number,
) {
  let state = runStrategy(rsiReversion, params, bars.slice(0, start + 1)).state;
  const signals: Array<[string, string]> = [];
  const states: StrategyState[] = [];
  for (let i = start + 1; i < bars.length; i++) {
    const lookback = rsiReversion.carriedLookback!(rsiReversion.parseParams(params));
    const window = bars.slice(i - 1 - lookback, i + 1);
    const run = runStrategy(rsiReversion, params, window, { initialState: state });
    for (const r of run.records) signals.push([r.date, r.signal]);
    state = run.state;
    states.push(state);
  }
  return { signals, states };
}

describe('rsi_reversion carries Wilder’s averages in its state', () => {
  it.each(REAL_TICKERS)(
    '%s: stepping a day at a time over two bars gives the signals and states of the whole replay',
    (_name, load) => {
      const bars = load();
      for (const params of [rsiReversion.defaults, { period: 2, lower: 10, upper: 90 }]) {
        const start = 200;
        const whole = runStrategy(rsiReversion, params, bars);
        const { signals, states } = dayByDay(bars, params, start);
        expect(signals).toEqual(whole.records.slice(start).map((r) => [r.date, r.signal]));
        expect(signals.some(([, s]) => s === 'BUY') && signals.some(([, s]) => s === 'SELL')).toBe(true);
        // The carried averages are bit for bit the whole replay's, to the last day.
        expect(states[states.length - 1]).toEqual(whole.state);
        expect(whole.state.carry).toEqual({ avgGain: expect.any(Number), avgLoss: expect.any(Number) });
      }
    },
  );

  it('a state without carried averages (written before they were kept) replays them from the first bar, to the same result', () => {
    const bars = sampleBars('AAPL_data.csv');
    const old = { ...runStrategy(rsiReversion, undefined, bars.slice(0, 300)).state, carry: undefined };
    const whole = runStrategy(rsiReversion, undefined, bars, { initialState: old });
    const fromCarry = runStrategy(rsiReversion, undefined, bars, {
      initialState: runStrategy(rsiReversion, undefined, bars.slice(0, 300)).state,
    });
    expect(whole.records).toEqual(fromCarry.records);
    expect(whole.state).toEqual(fromCarry.state);
  });

  it('a state whose carried averages are not numbers is refused, naming the value', () => {
    const bars = sampleBars('AAPL_data.csv');
    const state = runStrategy(rsiReversion, undefined, bars.slice(0, 300)).state;
    const bad = { ...state, carry: { avgGain: -1, avgLoss: 0.5 } };
    expect(() => runStrategy(rsiReversion, undefined, bars, { initialState: bad })).toThrow(BadInputError);
    expect(() => runStrategy(rsiReversion, undefined, bars, { initialState: bad })).toThrow(/carry\.avgGain.*-1/);
  });
});
