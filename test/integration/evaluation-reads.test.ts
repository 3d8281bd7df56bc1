import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Redis } from 'ioredis';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { RedisStrategyStateStore } from '../../src/adapters/redis/redis-strategy-state.store';
import { createSignalActivities, type TickerEvaluation } from '../../src/activities/signals.activities';
import { strategyFingerprint } from '../../src/domain/strategy-states';
import type { EnrichedBar } from '../../src/domain/bar';
import { addDays, type IsoDate } from '../../src/domain/dates';
import { enrichBars } from '../../src/domain/indicators';
import { stateKey, type BarWindow, type PriceRepository, type StoredStrategyState } from '../../src/domain/ports';
import { getStrategy, runStrategy, type StrategyPlan } from '../../src/domain/strategies';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { syntheticBars } from '../support/synthetic-bars';

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

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('a daily evaluation reads what the day needs', () => {
  let t: TestDatabase;
  let repo: PostgresPriceRepository;
  let redis: Redis;
  const all = enrichBars(syntheticBars('2024-12-31', 3, 100, '2020-01-02'), []);
  const dates = all.map((b) => b.date);
  const day1 = dates[dates.length - 3];
  const day3 = dates[dates.length - 1];

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    repo = new PostgresPriceRepository(t.db);
    const tickers = ['LONG', 'RSI', 'OTHER', 'AHEAD', 'STALE'];
    await repo.startRun({ runId: 'run-1', asOf: day3, provider: 'csv', tickers });
    await repo.saveIngestions(tickers.map((ticker) => ({ runId: 'run-1', ticker, bars: all, rejected: [] })));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await t.destroy();
  });

  const prefix = `algo-test-${crypto.randomBytes(4).toString('hex')}:`;

  /** The signal activities on the real stores; `recorded` lists what the run of a date recorded, `states` what Redis holds. */
  function activities(plans: Record<string, StrategyPlan[]>) {
    const { prices, read } = countingReads(repo);
    const states = new RedisStrategyStateStore(redis, prefix);
    const signals = new PostgresSignalRepository(t.db);
    const acts = createSignalActivities({
      prices,
      signals,
      states,
      trackedTickers: async () => Object.keys(plans),
      strategyPlans: async (tickers) => new Map(tickers.map((ticker) => [ticker, plans[ticker] ?? []])),
    });
    const tickers = Object.keys(plans);
    const evaluate = (date: IsoDate): Promise<TickerEvaluation[]> =>
      new MockActivityEnvironment().run(() => acts.evaluateStrategies({ date, tickers }));
    const recorded = async (runDate: IsoDate) =>
      (await signals.list({ runDate })).filter((s) => tickers.includes(s.ticker));
    const held = async (): Promise<Map<string, StoredStrategyState>> =>
      states.getMany(
        Object.entries(plans).flatMap(([ticker, list]) => list.map((p) => ({ ticker, strategy: p.name }))),
      );
    return { evaluate, read, held, recorded };
  }

  it('a ticker whose states are current reads its strategies’ lookback, not its history, with the same signals', async () => {
    const { evaluate, read, held, recorded } = activities({ LONG: BOUNDED });
    await evaluate(day1);
    // First sight: the whole history up to the run date, once.
    expect(read.get('LONG')).toBe(dates.indexOf(day1) + 1);
    const after1 = await held();

    read.clear();
    const [result] = await evaluate(day3);
    expect(result).toMatchObject({ ticker: 'LONG', status: 'ok', lastBarDate: day3 });
    const lookback = Math.max(
      ...BOUNDED.map((p) => getStrategy(p.name).lookback(getStrategy(p.name).parseParams(p.params))),
    );
    // The lookback before day 1 and day 1 itself, then the two missed days: whatever the history's length.
    expect(read.get('LONG')).toBe(lookback + 1 + 2);
    expect(read.get('LONG')).toBeLessThan(dates.length / 10);

    // The same signals and states as a replay of the whole history from the stored states.
    const after3 = await held();
    const day3Signals = await recorded(day3);
    for (const plan of BOUNDED) {
      const strategy = getStrategy(plan.name);
      const params = strategy.parseParams(plan.params);
      const before = after1.get(stateKey('LONG', plan.name))!;
      expect(before.fingerprint).toBe(strategyFingerprint(strategy, params));
      const whole = runStrategy(strategy, params, all, { initialState: before.state });
      expect(day3Signals.filter((r) => r.strategy === plan.name).map((r) => [r.date, r.signal, r.inputs])).toEqual(
        whole.records.map((r) => [r.date, r.signal, r.inputs]),
      );
      expect(after3.get(stateKey('LONG', plan.name))!.state).toEqual(whole.state);
    }
  });

  it('Wilder RSI reads a bounded window from the averages its state carries, with the same signals', async () => {
    const plans: StrategyPlan[] = [{ name: 'sma_cross' }, { name: 'rsi_reversion' }];
    const { evaluate, read, held, recorded } = activities({ RSI: plans });
    await evaluate(day1);
    const after1 = await held();
    expect(after1.get(stateKey('RSI', 'rsi_reversion'))!.state.carry).toBeDefined();
    read.clear();
    await evaluate(day3);
    // sma_cross's lookback (1) before day 1, day 1, the two missed days.
    expect(read.get('RSI')).toBe(1 + 1 + 2);
    const rsi = getStrategy('rsi_reversion');
    const whole = runStrategy(rsi, undefined, all, {
      initialState: after1.get(stateKey('RSI', 'rsi_reversion'))!.state,
    });
    expect(
      (await recorded(day3)).filter((r) => r.strategy === 'rsi_reversion').map((r) => [r.date, r.signal, r.inputs]),
    ).toEqual(whole.records.map((r) => [r.date, r.signal, r.inputs]));
    expect((await held()).get(stateKey('RSI', 'rsi_reversion'))!.state).toEqual(whole.state);
  });

  it('a recursive indicator without a carried state (MACD of other parameters) still reads the whole history', async () => {
    const { evaluate, read } = activities({ OTHER: [{ name: 'macd_cross', params: { fast: 10 } }] });
    await evaluate(day1);
    read.clear();
    await evaluate(day3);
    expect(read.get('OTHER')).toBe(dates.length);
  });

  it('a state Postgres does not confirm (its signals lost with a database) is replayed, and the lost days recorded again', async () => {
    const plans: StrategyPlan[] = [{ name: 'sma_cross' }, { name: 'macd_cross' }];
    const { evaluate, read, held, recorded } = activities({ AHEAD: plans });
    const day2 = dates[dates.length - 2];
    await evaluate(day3);
    const firstDay3 = await recorded(day3);
    const states3 = await held();
    expect(firstDay3.map((r) => r.date)).toEqual([day3, day3]);

    // The database replaced by an empty one; Redis kept the states of day 3.
    await t.db.deleteFrom('signals').where('ticker', '=', 'AHEAD').execute();
    read.clear();
    const [again] = await evaluate(day3);
    // Before, the held states (already at day 3) stepped over no day, and the run recorded nothing.
    expect(again).toMatchObject({ ticker: 'AHEAD', status: 'ok', recorded: 2 });
    expect(read.get('AHEAD')).toBe(dates.length);
    expect(await recorded(day3)).toEqual(firstDay3);
    expect(await held()).toEqual(states3);

    // Restored from a backup of day 1 without `algo state rebuild`: the days after it are caught up, as a rebuild would.
    await t.db.deleteFrom('signals').where('ticker', '=', 'AHEAD').execute();
    await evaluate(day1);
    const day1Signals = await recorded(day1);
    expect(day1Signals.map((r) => r.date)).toEqual([day1, day1]);
    await t.db.deleteFrom('signals').where('ticker', '=', 'AHEAD').where('date', '>', day1).execute();
    const [caughtUp] = await evaluate(day3);
    expect(caughtUp).toMatchObject({ status: 'ok', recorded: 4 });
    const expected = plans.flatMap((plan) => {
      const strategy = getStrategy(plan.name);
      const run = runStrategy(strategy, strategy.parseParams(plan.params), all);
      return run.records.filter((r) => r.date > day1).map((r) => [r.date, plan.name, r.signal]);
    });
    const got = (await recorded(day3)).map((r) => [r.date, r.strategy, r.signal]);
    expect(got.map((g) => g.join(' ')).sort()).toEqual(expected.map((e) => e.join(' ')).sort());
    expect(got.map((g) => g[0])).toEqual([day2, day2, day3, day3]);
    expect(await held()).toEqual(states3);
  });

  it('a ticker first seen stale records nothing and keeps no state for Postgres to contradict', async () => {
    const { evaluate, held, recorded } = activities({ STALE: [{ name: 'sma_cross' }] });
    const later = addDays(day3, 3);
    const [stale] = await evaluate(later);
    expect(stale).toMatchObject({ ticker: 'STALE', status: 'stale', recorded: 0, lastBarDate: day3 });
    expect(await recorded(later)).toEqual([]);
    // A state at day 3 with no signal of day 3 would be forgotten, with a warning, on every run until a bar came.
    expect(await held()).toEqual(new Map());
    const [ok] = await evaluate(day3);
    expect(ok).toMatchObject({ status: 'ok', recorded: 1 });
    expect([...(await held()).values()].map((v) => v.state.lastDate)).toEqual([day3]);
  });
});
