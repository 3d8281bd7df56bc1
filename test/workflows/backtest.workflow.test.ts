import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresBacktestRepository } from '../../src/adapters/postgres/postgres-backtest.repository';
import { backtestMetrics, type BacktestRequest, type BacktestSummary } from '../../src/domain/backtest/backtest-record';
import { runBacktest } from '../../src/domain/backtest/engine';
import type { IngestPricesResult } from '../../src/workflows/ingest-prices.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { loadSeedBars, SEED_DIR } from '../unit/strategies/seed-bars';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const OLD_FILE = 'AAPL_2004-01-02_2010-12-31.csv';
const SUMMARY_KEYS = [
  'id',
  'ticker',
  'strategy',
  'params',
  'startDate',
  'endDate',
  'initialCapital',
  'finalCapital',
  'returnPct',
  'orders',
  'roundTrips',
  'trades',
  'initialPosition',
  'metrics',
  'report',
].sort();

/** The failure a workflow ended with: the activity's ApplicationFailure. */
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => {
      throw new Error('the workflow succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: Error }).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('backtestWorkflow on a real Temporal dev server, Postgres and the filesystem report store', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let reportsDir: string;
  let backtests: PostgresBacktestRepository;
  const seed = loadSeedBars(OLD_FILE).bars;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-bt-reports-'));
    config.backtests.reports.dir = reportsDir;
    backtests = new PostgresBacktestRepository(t.db);
    // The old backtester's file, ingested as the daily job would (AAPL.csv in a CSV directory).
    const csvDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-bt-csv-'));
    fs.copyFileSync(path.join(SEED_DIR, OLD_FILE), path.join(csvDir, 'AAPL.csv'));
    const ingested = (await withTestWorker(env, config, () =>
      env.client.workflow.execute('ingestPricesWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `ingest-bt-${Date.now()}`,
        args: [{ provider: 'csv', csvDir, tickers: ['AAPL'], asOf: '2010-12-31' }],
      }),
    )) as IngestPricesResult;
    expect(ingested.tickers[0]).toMatchObject({ status: 'ok', inserted: 1763 });
  });
  afterAll(async () => {
    await t?.destroy();
    await env?.teardown();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  const withWorker = <T>(fn: () => Promise<T>) => withTestWorker(env, config, fn);
  let seq = 0;
  const start = (request: BacktestRequest) =>
    env.client.workflow.start('backtestWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `backtest-test-${Date.now()}-${seq++}`,
      args: [request],
    });
  const backtest = async (request: BacktestRequest) => (await start(request)).result() as Promise<BacktestSummary>;

  it('the default sma_cross backtest of the whole 2004-2010 file equals the engine on the same bars, and the persisted row', async () => {
    const summary = await withWorker(() => backtest({ ticker: 'aapl', strategy: 'sma_cross' }));
    const engine = runBacktest({ bars: seed, strategy: 'sma_cross' });

    expect(Object.keys(summary).sort()).toEqual(SUMMARY_KEYS);
    expect(summary.id).toMatch(/^backtest-test-/);
    expect(summary).toMatchObject({
      ticker: 'AAPL',
      strategy: 'sma_cross',
      params: { fast: 7, slow: 21, trend: 50 },
      startDate: '2004-01-02',
      endDate: '2010-12-31',
      initialCapital: 1000,
      finalCapital: engine.finalCapital,
      returnPct: engine.returnPct,
      orders: engine.orders,
      roundTrips: Math.ceil((engine.trades.length + (engine.initialPosition ? 1 : 0)) / 2),
    });
    expect(summary.trades).toEqual(
      engine.trades.map(({ date, side, price, shares }) => ({ date, side, price, shares })),
    );
    expect(summary.metrics).toEqual(backtestMetrics(engine).metrics);
    expect(summary.metrics.roundTrips).toBe(Math.ceil((engine.trades.length + (engine.initialPosition ? 1 : 0)) / 2));
    process.stdout.write(
      `default backtest 2004-2010: return ${summary.returnPct}%, ${summary.orders} orders, ${summary.roundTrips} round trips, final ${summary.finalCapital}\n`,
    );

    const stored = (await backtests.get(summary.id, { withEquityCurve: true }))!;
    expect(stored).toMatchObject({
      ticker: 'AAPL',
      strategy: 'sma_cross',
      strategyVersion: 1,
      startDate: '2004-01-02',
      endDate: '2010-12-31',
      finalCapital: engine.finalCapital,
      returnPct: engine.returnPct,
      orders: engine.orders,
      fees: 0,
      initialPosition: engine.initialPosition,
      trades: engine.trades,
      metrics: summary.metrics,
      reportUrl: summary.report,
      options: { commissionBps: 0, commissionPerTrade: 0, slippageBps: 0, wholeShares: false, execution: 'close' },
    });
    expect(stored.equityCurve.dates).toEqual(engine.dates);
    expect(stored.equityCurve.equity).toEqual(Array.from(engine.equity));
    expect(stored.equityCurve.shares).toEqual(Array.from(engine.shares));
    expect(stored.equityCurve.close).toEqual(Array.from(engine.close));
    const tradeRows = await t.db
      .selectFrom('backtest_trades')
      .selectAll()
      .where('backtest_id', '=', summary.id)
      .orderBy('seq')
      .execute();
    expect(tradeRows.map((r) => [r.date, r.side, r.price])).toEqual(
      engine.trades.map((tr) => [tr.date, tr.side, tr.price]),
    );

    expect(summary.report).toBe(path.join(reportsDir, 'backtests', summary.id, 'report.html'));
    const html = fs.readFileSync(summary.report, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).toContain(summary.id);
    expect(fs.readFileSync(path.join(reportsDir, 'backtests', summary.id, 'equity.svg'), 'utf8')).toContain('<svg');
  });

  it('a window with parameters and costs equals the engine given the stored history before the window', async () => {
    const request: BacktestRequest = {
      ticker: 'AAPL',
      strategy: 'macd_cross',
      params: { fast: 10, slow: 30 },
      from: '2007-01-03',
      to: '2009-12-31',
      capital: 5000,
      feesBps: 10,
      slippageBps: 5,
      commissionPerTrade: 1,
      wholeShares: true,
    };
    const summary = await withWorker(() => backtest(request));
    const engine = runBacktest({
      bars: seed.filter((b) => b.date <= '2009-12-31'),
      strategy: 'macd_cross',
      params: { fast: 10, slow: 30 },
      startDate: '2007-01-03',
      endDate: '2009-12-31',
      initialCapital: 5000,
      options: { commissionBps: 10, slippageBps: 5, commissionPerTrade: 1, wholeShares: true },
    });
    expect(summary).toMatchObject({
      startDate: '2007-01-03',
      endDate: '2009-12-31',
      initialCapital: 5000,
      finalCapital: engine.finalCapital,
      returnPct: engine.returnPct,
    });
    expect(summary.params).toEqual({ ...engine.params });
    expect(summary.trades.length).toBeGreaterThan(0);
    expect(summary.trades.every((tr) => Number.isInteger(tr.shares))).toBe(true);
    expect((await backtests.get(summary.id))!.fees).toBeCloseTo(engine.fees, 9);
  });

  it.each<[string, BacktestRequest, RegExp]>([
    [
      'an unknown strategy (lists the known ones)',
      { ticker: 'AAPL', strategy: 'moon_phase' },
      /unknown strategy "moon_phase" \(known: sma_cross, macd_cross, .*\)/,
    ],
    [
      'an unknown parameter (names it)',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { speed: 3 } },
      /unknown parameter speed for strategy sma_cross/,
    ],
    [
      'a bad parameter value (names it)',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { fast: 30, slow: 21 } },
      /bad parameter fast for strategy sma_cross/,
    ],
    [
      'a start before the stored data (says which and the range)',
      { ticker: 'AAPL', strategy: 'sma_cross', from: '2003-06-01' },
      /from 2003-06-01 is outside the stored data of AAPL \(2004-01-02 to 2010-12-31\)/,
    ],
    [
      'an end after the stored data',
      { ticker: 'AAPL', strategy: 'sma_cross', to: '2011-03-01' },
      /to 2011-03-01 is outside the stored data of AAPL \(2004-01-02 to 2010-12-31\)/,
    ],
    [
      'a date that does not exist',
      { ticker: 'AAPL', strategy: 'sma_cross', from: '2005-02-30' },
      /from: "2005-02-30" is not a valid date/,
    ],
    [
      'dates in the wrong order',
      { ticker: 'AAPL', strategy: 'sma_cross', from: '2006-01-01', to: '2005-01-01' },
      /from 2006-01-01 is after to 2005-01-01/,
    ],
    ['an unknown ticker', { ticker: 'ZZZZ', strategy: 'sma_cross' }, /unknown ticker ZZZZ/],
    ['a negative capital', { ticker: 'AAPL', strategy: 'sma_cross', capital: -5 }, /capital must be a positive number/],
  ])('fails at once, non-retryable, before anything runs, on %s', async (_label, request, message) => {
    const handle = await start(request);
    const failure = await withWorker(() => failureOf(handle.result()));
    expect(failure.message).toMatch(message);
    expect(failure.nonRetryable).toBe(true);
    expect(['BadInputError', 'UnknownTickerError']).toContain(failure.type);
    // Only the check ran, once: no backtest activity, no retries, nothing stored.
    const history = await handle.fetchHistory();
    const scheduled = history.events!.filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name)).toEqual(['checkBacktest']);
    expect(
      history
        .events!.filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes!.attempt),
    ).toEqual([1]);
    expect(await backtests.get(handle.workflowId)).toBeNull();
  });

  describe('algo backtest (the CLI, spawned, against this test worker)', () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
          ['src/cli/main.ts', 'backtest', ...args],
          {
            cwd: PROJECT_ROOT,
            env: {
              ...process.env,
              DATABASE_URL: t.url,
              TEMPORAL_ADDRESS: env.address,
              TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
              ALGO_DATA_DIR: path.dirname(reportsDir),
              NO_COLOR: '1',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    it('--json prints the summary (the hand-traced 2005-04-01..2005-06-03 window); without it, the key metrics for people', async () => {
      const window = ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--from', '2005-04-01', '--to', '2005-06-03'];
      const [run, human] = await withWorker(() => Promise.all([cli([...window, '--json']), cli(window)]));
      expect(run.stderr).not.toMatch(/error/);
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as BacktestSummary;
      expect(Object.keys(out).sort()).toEqual(SUMMARY_KEYS);
      // SEED.md traced by hand (test/unit/backtest-engine.test.ts): open on 04-01, SELL 04-14, BUY 05-23, -12.36 %.
      const initialShares = 1000 / 1.46036;
      expect(out.initialPosition).toEqual({ date: '2005-04-01', side: 'BUY', price: 1.46036, shares: initialShares });
      expect(out.trades).toEqual([
        { date: '2005-04-14', side: 'SELL', price: 1.33071, shares: initialShares },
        { date: '2005-05-23', side: 'BUY', price: 1.42, shares: (initialShares * 1.33071) / 1.42 },
      ]);
      expect(out).toMatchObject({
        ticker: 'AAPL',
        strategy: 'sma_cross',
        startDate: '2005-04-01',
        endDate: '2005-06-03',
        initialCapital: 1000,
        returnPct: -12.36,
        orders: 2,
        roundTrips: 2,
      });
      expect(out.metrics.roundTrips).toBe(2);
      expect(fs.existsSync(out.report)).toBe(true);
      expect(await backtests.get(out.id)).not.toBeNull();

      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/AAPL sma_cross \(fast=7, slow=21, trend=50\) 2005-04-01 to 2005-06-03/);
      expect(human.stdout).toMatch(/Return\s+-12\.36%/);
      expect(human.stdout).toMatch(/Max drawdown/);
      expect(human.stdout).toMatch(/Sharpe/);
      expect(human.stdout).toMatch(/Orders\s+2\n/);
      expect(human.stdout).toMatch(/Round trips\s+2\n/);
      expect(human.stdout).toMatch(/Report\s+\/.*report\.html/);
    });

    it('exits non-zero with a one-line message that says which input is bad', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['--ticker', 'AAPL', '--strategy', 'nope'], /unknown strategy "nope" \(known: sma_cross/],
        [
          ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--params', 'fast=abc'],
          /--params: parameter fast must be a number/,
        ],
        [
          ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--params', 'fast=40'],
          /bad parameter fast for strategy sma_cross/,
        ],
        [
          ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--from', '2005-13-01'],
          /^error from: "2005-13-01" is not a valid date/,
        ],
        // These two are found against the stored data before anything starts, as by the API.
        [
          ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--to', '2012-01-03'],
          /to 2012-01-03 is outside the stored data of AAPL \(2004-01-02 to 2010-12-31\)/,
        ],
        [['--ticker', 'NOPE', '--strategy', 'sma_cross'], /unknown ticker NOPE/],
        [
          ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--fees-bps', '-1'],
          /^error feesBps must be a number >= 0 \(got -1\)/,
        ],
        [
          ['--ticker', 'AAPL', '--strategy', 'sma_cross', '--fees-bps', '10001'],
          /^error feesBps must be at most 10000 \(got 10001\)/,
        ],
      ];
      const runs = await withWorker(() => Promise.all(cases.map(([args]) => cli([...args, '--json']))));
      runs.forEach((run, i) => {
        expect(run.code).not.toBe(0);
        expect(run.stdout).toBe('');
        const lines = run.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.includes(' started'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(cases[i][1]);
      });
    });
  });
});
