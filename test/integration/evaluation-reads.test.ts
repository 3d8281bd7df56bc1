import { MockActivityEnvironment } from '@temporalio/testing';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { createSignalActivities, type TickerEvaluation } from '../../src/activities/signals.activities';
import { strategyFingerprint } from '../../src/domain/strategy-states';
import type { EnrichedBar } from '../../src/domain/bar';
import type { IsoDate } from '../../src/domain/dates';
import { enrichBars } from '../../src/domain/indicators';
import {
  stateKey,
  type BarWindow,
  type PriceRepository,
  type SignalRecord,
  type SignalRepository,
  type StoredStrategyState,
  type StrategyStateStore,
} from '../../src/domain/ports';
import { getStrategy, runStrategy, type StrategyPlan } from '../../src/domain/strategies';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { syntheticBars } from '../support/synthetic-bars';

/** States in a Map, with the Redis store's compare-and-set rule. */
class InMemoryStrategyStateStore implements StrategyStateStore {
  readonly states = new Map<string, StoredStrategyState>();
  async getMany(keys: ReadonlyArray<{ ticker: string; strategy: string }>) {
    const out = new Map<string, StoredStrategyState>();
    for (const k of keys) {
      const s = this.states.get(stateKey(k.ticker, k.strategy));
      if (s) out.set(stateKey(k.ticker, k.strategy), s);
    }
    return out;
  }
  async advance(ticker: string, strategy: string, value: StoredStrategyState) {
    const current = this.states.get(stateKey(ticker, strategy));
    if (current?.fingerprint === value.fingerprint && current.state.lastDate >= value.state.lastDate) return false;
    this.states.set(stateKey(ticker, strategy), value);
    return true;
  }
  async clear() {
    const n = this.states.size;
    this.states.clear();
    return n;
  }
  async clearTicker() {
    return 0;
  }
}

/** Every bar the evaluation reads, counted per ticker as it leaves the repository. */
function countingReads(prices: PriceRepository) {
  const read = new Map<string, number>();
  const count = (bars: Map<string, EnrichedBar[]>) => {
    for (const [ticker, list] of bars) read.set(ticker, (read.get(ticker) ?? 0) + list.length);
    return bars;
  };
  const wrapped: PriceRepository = Object.create(prices);
  wrapped.barsOfTickers = async (tickers, range) => count(await prices.barsOfTickers(tickers, range));
  wrapped.recentBarsOfTickers = async (windows: readonly BarWindow[], range) =>
    count(await prices.recentBarsOfTickers(windows, range));
  wrapped.bars = async (ticker, range) => {
    const bars = await prices.bars(ticker, range);
    read.set(ticker, (read.get(ticker) ?? 0) + bars.length);
    return bars;
  };
  return { prices: wrapped, read };
}

const BOUNDED: StrategyPlan[] = [
  { name: 'sma_cross' },
  { name: 'macd_cross' },
  { name: 'bollinger_reversion' },
  { name: 'donchian_breakout', params: { entry: 55, exit: 20 } },
];

describe('a daily evaluation reads what the day needs', () => {
  let t: TestDatabase;
  let repo: PostgresPriceRepository;
  const all = enrichBars(syntheticBars('2024-12-31', 3, 100, '2020-01-02'), []);
  const dates = all.map((b) => b.date);
  const day1 = dates[dates.length - 3];
  const day3 = dates[dates.length - 1];

  beforeAll(async () => {
    t = await createTestDatabase();
    repo = new PostgresPriceRepository(t.db);
    await repo.startRun({ runId: 'run-1', asOf: day3, provider: 'csv', tickers: ['LONG', 'RSI', 'OTHER'] });
    await repo.saveIngestions(
      ['LONG', 'RSI', 'OTHER'].map((ticker) => ({ runId: 'run-1', ticker, bars: all, rejected: [] })),
    );
  });
  afterAll(() => t.destroy());

  function activities(plans: Record<string, StrategyPlan[]>) {
    const { prices, read } = countingReads(repo);
    const states = new InMemoryStrategyStateStore();
    const recorded: SignalRecord[] = [];
    const signals: SignalRepository = {
      async record(list) {
        recorded.push(...list);
        return list.length;
      },
      async list() {
        return [];
      },
      async lastSignalDates() {
        return new Map();
      },
      async countByRecorder() {
        return [];
      },
    };
    const acts = createSignalActivities({
      prices,
      signals,
      states,
      trackedTickers: async () => Object.keys(plans),
      strategyPlans: async (tickers) => new Map(tickers.map((ticker) => [ticker, plans[ticker] ?? []])),
    });
    const evaluate = (date: IsoDate): Promise<TickerEvaluation[]> =>
      new MockActivityEnvironment().run(() => acts.evaluateStrategies({ date, tickers: Object.keys(plans) }));
    return { evaluate, read, states, recorded };
  }

  it('a ticker whose states are current reads its strategies’ lookback, not its history, with the same signals', async () => {
    const { evaluate, read, states, recorded } = activities({ LONG: BOUNDED });
    await evaluate(day1);
    // First sight: the whole history up to the run date, once.
    expect(read.get('LONG')).toBe(dates.indexOf(day1) + 1);
    const after1 = new Map(states.states);

    read.clear();
    recorded.length = 0;
    const [result] = await evaluate(day3);
    expect(result).toMatchObject({ ticker: 'LONG', status: 'ok', lastBarDate: day3 });
    const lookback = Math.max(
      ...BOUNDED.map((p) => getStrategy(p.name).lookback(getStrategy(p.name).parseParams(p.params))),
    );
    // The lookback before day 1 and day 1 itself, then the two missed days: whatever the history's length.
    expect(read.get('LONG')).toBe(lookback + 1 + 2);
    expect(read.get('LONG')).toBeLessThan(dates.length / 10);

    // The same signals and states as a replay of the whole history from the stored states.
    for (const plan of BOUNDED) {
      const strategy = getStrategy(plan.name);
      const params = strategy.parseParams(plan.params);
      const before = after1.get(stateKey('LONG', plan.name))!;
      expect(before.fingerprint).toBe(strategyFingerprint(strategy, params));
      const whole = runStrategy(strategy, params, all, { initialState: before.state });
      expect(recorded.filter((r) => r.strategy === plan.name).map((r) => [r.date, r.signal, r.inputs])).toEqual(
        whole.records.map((r) => [r.date, r.signal, r.inputs]),
      );
      expect(states.states.get(stateKey('LONG', plan.name))!.state).toEqual(whole.state);
    }
  });

  it('Wilder RSI reads a bounded window from the averages its state carries, with the same signals', async () => {
    const plans: StrategyPlan[] = [{ name: 'sma_cross' }, { name: 'rsi_reversion' }];
    const { evaluate, read, states, recorded } = activities({ RSI: plans });
    await evaluate(day1);
    const after1 = new Map(states.states);
    expect(after1.get(stateKey('RSI', 'rsi_reversion'))!.state.carry).toBeDefined();
    read.clear();
    recorded.length = 0;
    await evaluate(day3);
    // sma_cross's lookback (1) before day 1, day 1, the two missed days.
    expect(read.get('RSI')).toBe(1 + 1 + 2);
    const rsi = getStrategy('rsi_reversion');
    const whole = runStrategy(rsi, undefined, all, {
      initialState: after1.get(stateKey('RSI', 'rsi_reversion'))!.state,
    });
    expect(recorded.filter((r) => r.strategy === 'rsi_reversion').map((r) => [r.date, r.signal, r.inputs])).toEqual(
      whole.records.map((r) => [r.date, r.signal, r.inputs]),
    );
    expect(states.states.get(stateKey('RSI', 'rsi_reversion'))!.state).toEqual(whole.state);
  });

  it('a recursive indicator without a carried state (MACD of other parameters) still reads the whole history', async () => {
    const { evaluate, read } = activities({ OTHER: [{ name: 'macd_cross', params: { fast: 10 } }] });
    await evaluate(day1);
    read.clear();
    await evaluate(day3);
    expect(read.get('OTHER')).toBe(dates.length);
  });
});
