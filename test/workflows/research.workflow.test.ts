import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { AppConfig } from '../../src/config/config';
import type { RecommendationEvidence } from '../../src/domain/ports';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSweepRepository } from '../../src/adapters/postgres/postgres-sweep.repository';
import { PostgresTrackingRepository } from '../../src/adapters/postgres/postgres-tracking.repository';
import { RedisRecommendationCache } from '../../src/adapters/redis/redis-recommendation.cache';
import { runBacktest } from '../../src/domain/backtest/engine';
import { parseGrid, sweepSeries, validateGrid } from '../../src/domain/backtest/sweep';
import { composeDigest } from '../../src/domain/notifications/digest';
import type { RecommendResult } from '../../src/workflows/recommend.workflow';
import type { SweepInput, SweepResult } from '../../src/workflows/sweep.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { loadSp500 } from '../unit/sp500-bars';
import { DEFAULT_RECOMMEND_GRIDS } from '../../src/domain/backtest/walk-forward';
import { registerStrategies, strategyRegistry } from '../../src/domain/strategies/registry';
import { BUILT_IN_RULES } from '../../src/domain/strategies/rules/built-in-rules';
import { ruleStrategy } from '../../src/domain/strategies/rules/rule-strategy';

const TICKERS = ['AAPL', 'MSFT', 'XOM'];

describe('sweep and recommendation workflows on a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let redis: Redis;
  let prices: PostgresPriceRepository;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    redis = new Redis(config.redis.url);
    prices = new PostgresPriceRepository(t.db);
    await prices.startRun({ runId: 'load', asOf: '2018-02-07', provider: 'csv', tickers: TICKERS });
    for (const ticker of TICKERS)
      await prices.saveIngestion({ runId: 'load', ticker, bars: loadSp500(ticker), rejected: [] });
  }, 60_000);
  afterAll(async () => {
    const keys = await redis.keys(`${config.redis.keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await t?.destroy();
    await env?.teardown();
  });

  const execute = <T>(workflow: string, input: unknown, id: string) =>
    withTestWorker(
      env,
      config,
      () =>
        env.client.workflow.execute(workflow, {
          taskQueue: config.temporal.taskQueue,
          workflowId: id,
          args: [input],
        }) as Promise<T>,
    );

  it('sweeps a grid over several tickers in batches, stores every row, and returns the best set per ticker', async () => {
    const grid = 'fast=5..10:5,slow=10..30:10';
    const input: SweepInput = {
      strategy: 'sma_cross',
      grid,
      tickers: ['AAPL', 'MSFT', 'NOPE', 'XOM'],
      from: '2014-01-02',
      batchSize: 2,
    };
    const result = await execute<SweepResult>('sweepWorkflow', input, `sweep-test-${Date.now()}`);
    const combos = validateGrid('sma_cross', parseGrid(grid)).combos;
    expect(result).toMatchObject({
      strategy: 'sma_cross',
      combos: combos.length,
      skipped: 1,
      backtests: 3 * combos.length,
    });
    expect(result.tickers.map((r) => [r.ticker, r.status])).toEqual([
      ['AAPL', 'ok'],
      ['MSFT', 'ok'],
      ['NOPE', 'no_data'],
      ['XOM', 'ok'],
    ]);

    const sweeps = new PostgresSweepRepository(t.db);
    // The packed bulk read gives back exactly the stored prices.
    const bulk = await sweeps.barsOfTickers(['AAPL', 'NOPE', 'XOM'], { to: '2017-12-29' });
    expect([...bulk.keys()].sort()).toEqual(['AAPL', 'XOM']);
    const noIndicators = {
      sma7: null,
      sma21: null,
      sma50: null,
      sma100: null,
      sma200: null,
      ema12: null,
      ema26: null,
      macd: null,
      macdSignal: null,
    };
    expect(bulk.get('XOM')).toEqual(
      (await prices.bars('XOM', { to: '2017-12-29' })).map((b) => ({
        ...b,
        ...noIndicators,
        adjClose: b.close,
        volume: 0,
      })),
    );

    const stored = await sweeps.sweepResults(result.sweepId);
    expect(stored).toHaveLength(3 * combos.length);
    for (const ticker of TICKERS) {
      const bars = await prices.bars(ticker);
      const rows = stored.filter((r) => r.ticker === ticker);
      const expected = sweepSeries({ bars, strategy: 'sma_cross', combos, startDate: '2014-01-02' });
      expect(rows.map(({ ticker: _t, combo: _c, ...r }) => r)).toEqual(expected);
      rows.forEach((row) =>
        expect(row.returnPct).toBe(
          runBacktest({ bars, strategy: 'sma_cross', params: row.params, startDate: '2014-01-02' }).returnPct,
        ),
      );
      const best = result.tickers.find((r) => r.ticker === ticker)!.best!;
      expect(rows.every((r) => (r.sharpe ?? -Infinity) <= best.sharpe!)).toBe(true);
    }
    const sweep = await t.db
      .selectFrom('sweeps')
      .selectAll()
      .where('id', '=', result.sweepId)
      .executeTakeFirstOrThrow();
    expect(sweep).toMatchObject({
      strategy: 'sma_cross',
      status: 'completed',
      combos: combos.length,
      tickers: 4,
      from_date: '2014-01-02',
    });
  });

  it('fails a sweep with a bad grid, naming the bad part', async () => {
    const failure = await execute(
      'sweepWorkflow',
      { strategy: 'sma_cross', grid: 'fast=5..10:5,slow=oops' },
      `sweep-bad-${Date.now()}`,
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // The planning activity's non-retryable BadInputError, inside the activity failure.
    const cause = (failure as WorkflowFailedError).cause as Error & { cause?: Error };
    expect(cause.cause?.message).toMatch(/^grid part "slow=oops": expected name=a..b:step/);
  });

  it('recommends per ticker from out-of-sample evidence, in Postgres (history, one current) and Redis', async () => {
    const first = await execute<RecommendResult>(
      'recommendWorkflow',
      { tickers: TICKERS, batchSize: 2 },
      `recommend-1-${Date.now()}`,
    );
    expect(first.candidates.map((c) => c.strategy)).toEqual([
      'sma_cross',
      'macd_cross',
      'rsi_reversion',
      'bollinger_reversion',
      'donchian_breakout',
    ]);
    expect(first.tickers.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    // On this data AAPL and XOM get one; MSFT's best strategy did not beat buy-and-hold out of sample.
    expect(first.tickers.map((r) => r.strategy !== null)).toEqual([true, false, true]);
    expect(first.tickers[1].reason).toMatch(/^buy_and_hold did better out of sample/);
    const repo = new PostgresRecommendationRepository(t.db);
    const current = await repo.current(TICKERS);
    expect(current.map((c) => [c.ticker, c.runId, c.changed])).toEqual(
      TICKERS.map((ticker) => [ticker, first.runId, true]),
    );
    for (const r of first.tickers) {
      const row = current.find((c) => c.ticker === r.ticker)!;
      expect([row.strategy, row.params, row.reason]).toEqual([r.strategy, r.params, r.reason]);
      // Either a recommendation or a reason, never both.
      expect(r.strategy === null).toBe(r.reason !== null);
      const evidence = row.evidence as RecommendationEvidence;
      expect(evidence.windows).toBe(5);
      expect(evidence.candidates).toHaveLength(5);
      for (const c of evidence.candidates) {
        expect(c.windows).toHaveLength(5);
        for (const w of c.windows) expect(w.testFrom > w.trainTo).toBe(true);
      }
      if (r.strategy) {
        const chosen = evidence.candidates[0];
        expect(chosen).toMatchObject({ strategy: r.strategy, eligible: true, currentParams: r.params });
        expect(chosen.outOfSample.trades).toBeGreaterThanOrEqual(4);
        expect(chosen.outOfSample.sharpe!).toBeGreaterThan(evidence.baseline!.sharpe!);
      }
    }
    const cached = await new RedisRecommendationCache(redis, config.redis.keyPrefix).getMany(TICKERS);
    expect(TICKERS.map((tk) => cached.get(tk)?.strategy ?? null)).toEqual(
      TICKERS.map((tk) => current.find((c) => c.ticker === tk)!.strategy),
    );

    const second = await execute<RecommendResult>(
      'recommendWorkflow',
      { tickers: ['AAPL'] },
      `recommend-2-${Date.now()}`,
    );
    const history = await repo.history('AAPL');
    expect(history.map((h) => [h.runId, h.current])).toEqual([
      [first.runId, false],
      [second.runId, true],
    ]);
    // Same data, same evidence: the recommendation did not change.
    expect(second.tickers[0]).toMatchObject({ strategy: first.tickers[0].strategy, changed: false });
  }, 120_000);

  it('walks a rule strategy forward like the built-in it re-expresses: the same out-of-sample evidence', async () => {
    // The worker runs in this process: registering the rule here is registering it in the worker.
    if (!strategyRegistry.has('sma_cross_rule')) registerStrategies([ruleStrategy(BUILT_IN_RULES[0])]);
    const grid = DEFAULT_RECOMMEND_GRIDS.sma_cross;
    const result = await execute<RecommendResult>(
      'recommendWorkflow',
      { tickers: ['AAPL', 'XOM'], strategies: ['sma_cross', 'sma_cross_rule'], grids: { sma_cross_rule: grid } },
      `recommend-rule-${Date.now()}`,
    );
    expect(result.candidates).toEqual([
      { strategy: 'sma_cross', grid },
      { strategy: 'sma_cross_rule', grid },
    ]);
    expect(result.tickers.map((r) => r.status)).toEqual(['ok', 'ok']);
    const current = await new PostgresRecommendationRepository(t.db).current(['AAPL', 'XOM']);
    for (const row of current) {
      const { candidates } = row.evidence as RecommendationEvidence;
      const builtIn = candidates.find((c) => c.strategy === 'sma_cross')!;
      const rule = candidates.find((c) => c.strategy === 'sma_cross_rule')!;
      expect(rule.windows).toEqual(builtIn.windows);
      expect(rule.outOfSample).toEqual(builtIn.outOfSample);
    }
  }, 120_000);
});

describe('`recommended` subscriptions', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.destroy());

  it('run the current recommendation, receive its signals and are told of a change in their next email', async () => {
    const subscribers = new PostgresSubscriberRepository(t.db);
    const recommendations = new PostgresRecommendationRepository(t.db);
    const deliveries = new PostgresDeliveryRepository(t.db);
    const follower = (
      await subscribers.subscribe({
        email: 'f@example.com',
        subscriptions: [
          { ticker: 'AAPL', strategy: 'recommended' },
          { ticker: 'MSFT', strategy: 'recommended' },
        ],
        confirmed: true,
      })
    ).subscriber;
    const other = (
      await subscribers.subscribe({
        email: 'o@example.com',
        subscriptions: [{ ticker: 'AAPL', strategy: 'rsi_reversion' }],
        confirmed: true,
      })
    ).subscriber;
    const tracking = new PostgresTrackingRepository(t.db, {
      tickers: [],
      strategies: {
        default: [{ name: 'macd_cross', params: {} }],
        perTicker: { MSFT: [{ name: 'sma_cross', params: {} }] },
      },
    });

    // No recommendation yet: nothing extra to run.
    expect((await tracking.strategyPlans(['AAPL'])).get('AAPL')).toEqual([
      { name: 'macd_cross', params: {} },
      { name: 'rsi_reversion' },
    ]);

    const evidence = {
      windows: 0,
      options: { trainDays: 504, testDays: 126, stepDays: 126, minTrainTrades: 2, minTestTrades: 4 },
      baseline: null,
      candidates: [],
    };
    await recommendations.save({
      runId: 'run-1',
      recommendations: [
        {
          ticker: 'AAPL',
          asOf: '2018-02-07',
          strategy: 'sma_cross',
          params: { fast: 10, slow: 30, trend: 50 },
          reason: null,
          evidence,
        },
        {
          ticker: 'MSFT',
          asOf: '2018-02-07',
          strategy: 'sma_cross',
          params: { fast: 10, slow: 30, trend: 50 },
          reason: null,
          evidence,
        },
      ],
    });
    const plans = await tracking.strategyPlans(['AAPL', 'MSFT']);
    const recommendedPlan = {
      name: 'sma_cross',
      params: { fast: 10, slow: 30, trend: 50 },
      label: 'recommended:sma_cross',
    };
    expect(plans.get('AAPL')).toEqual([{ name: 'macd_cross', params: {} }, recommendedPlan, { name: 'rsi_reversion' }]);
    // MSFT runs sma_cross by config with the default parameters: the recommendation runs beside it under its own label.
    expect(plans.get('MSFT')).toEqual([{ name: 'sma_cross', params: {} }, recommendedPlan]);

    // The recommendation's signals reach the `recommended` subscriber, the configured strategy's of the same name do not.
    const signals = new PostgresSignalRepository(t.db);
    const signal = (ticker: string, strategy: string, s: 'BUY' | 'SELL' | 'HOLD') => ({
      date: '2018-02-07',
      ticker,
      strategy,
      strategyVersion: 1,
      signal: s,
      close: 160,
      inputs: {},
    });
    await signals.record([
      signal('AAPL', 'recommended:sma_cross', 'BUY'),
      signal('AAPL', 'macd_cross', 'SELL'),
      signal('AAPL', 'rsi_reversion', 'BUY'),
      signal('MSFT', 'sma_cross', 'SELL'),
      signal('MSFT', 'recommended:sma_cross', 'HOLD'),
    ]);
    const [page] = await deliveries.recipientPages({ signals: { runDate: '2018-02-07' }, pageSize: 10 });
    const recipients = await deliveries.recipients({ signals: { runDate: '2018-02-07' }, page });
    expect(recipients.map((r) => [r.email, r.signals.map((s) => `${s.ticker} ${s.strategy}`)])).toEqual([
      ['f@example.com', ['AAPL recommended:sma_cross']],
      ['o@example.com', ['AAPL rsi_reversion']],
    ]);
    expect((await signals.list({ strategy: 'recommended' })).map((s) => `${s.ticker} ${s.strategy}`)).toEqual([
      'AAPL recommended:sma_cross',
      'MSFT recommended:sma_cross',
    ]);

    // The first recommendation is news to the follower; the other subscriber hears nothing.
    let notes = await recommendations.changeNotes([follower.id, other.id]);
    expect(notes.get(follower.id)).toEqual([
      'Recommendation for AAPL changed: now sma_cross (fast=10, slow=30, trend=50); your "recommended" subscription follows it.',
      'Recommendation for MSFT changed: now sma_cross (fast=10, slow=30, trend=50); your "recommended" subscription follows it.',
    ]);
    expect(notes.has(other.id)).toBe(false);
    const digest = composeDigest({
      date: '2018-02-07',
      email: 'f@example.com',
      signals: recipients[0].signals,
      unsubscribeUrl: 'http://x/u',
      notes: notes.get(follower.id),
    });
    expect(digest.text).toContain('Recommendation for AAPL changed: now sma_cross');

    // Once an email went out, it is not repeated...
    await deliveries.claim({
      kind: 'daily',
      date: '2018-02-07',
      deliveries: [{ subscriberId: follower.id, messageId: 'm1' }],
    });
    await deliveries.markSent({ messageIds: ['m1'] });
    expect((await recommendations.changeNotes([follower.id])).size).toBe(0);

    // ... an unchanged recommendation is no news, a changed one is, in the next email.
    await recommendations.save({
      runId: 'run-2',
      recommendations: [
        {
          ticker: 'AAPL',
          asOf: '2018-02-08',
          strategy: 'macd_cross',
          params: { fast: 8, slow: 21, signal: 5 },
          reason: null,
          evidence,
        },
        {
          ticker: 'MSFT',
          asOf: '2018-02-08',
          strategy: 'sma_cross',
          params: { fast: 10, slow: 30, trend: 50 },
          reason: null,
          evidence,
        },
      ],
    });
    notes = await recommendations.changeNotes([follower.id]);
    expect(notes.get(follower.id)).toEqual([
      'Recommendation for AAPL changed: now macd_cross (fast=8, slow=21, signal=5), was sma_cross (fast=10, slow=30, trend=50); your "recommended" subscription follows it.',
    ]);
    // The new recommendation runs with its own parameters beside the configured macd_cross.
    expect((await tracking.strategyPlans(['AAPL'])).get('AAPL')).toEqual([
      { name: 'macd_cross', params: {} },
      { name: 'macd_cross', params: { fast: 8, slow: 21, signal: 5 }, label: 'recommended:macd_cross' },
      { name: 'rsi_reversion' },
    ]);

    // No recommendation any more: the note says so and why, and nothing is run or sent for it.
    await recommendations.save({
      runId: 'run-3',
      recommendations: [
        {
          ticker: 'AAPL',
          asOf: '2018-02-09',
          strategy: null,
          params: null,
          reason: 'buy_and_hold did better out of sample',
          evidence,
        },
      ],
    });
    notes = await recommendations.changeNotes([follower.id]);
    expect(notes.get(follower.id)![0]).toMatch(
      /^Recommendation for AAPL changed: no strategy is recommended now, was macd_cross .*\(buy_and_hold did better out of sample\)/,
    );
    const after = await deliveries.recipients({
      signals: { runDate: '2018-02-07' },
      page: { fromId: 0, toId: 1e9, count: 2 },
    });
    expect(after.map((r) => r.email)).toEqual(['o@example.com']);
    // Saving the same run again (a retried activity) changes nothing.
    await recommendations.save({
      runId: 'run-3',
      recommendations: [{ ticker: 'AAPL', asOf: '2018-02-09', strategy: null, params: null, reason: 'x', evidence }],
    });
    expect((await recommendations.history('AAPL')).map((h) => [h.runId, h.current, h.changed])).toEqual([
      ['run-1', false, true],
      ['run-2', false, true],
      ['run-3', true, true],
    ]);
  });
});
