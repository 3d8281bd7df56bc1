import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { renderDailyRun } from '../../src/cli/commands/daily.command';
import { renderFreshness } from '../../src/cli/commands/stack.command';
import { DailyScheduleService } from '../../src/services/daily-schedule.service';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { DAILY_SCHEDULE_ID } from '../../src/workflows/workflow-ids';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { dataFreshness } from '../../src/stack/data-freshness';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startReplayServer, type ReplayServer } from '../support/http-replay';
import { startTestTemporal, testTemporalBinary } from '../support/temporal';
import { testConfig, testDependencies, withTestWorker } from '../support/worker';
import { tempDir, waitFor } from '../support/mail';

/** The stale run's workflow id (its history is the replay test's recording of the patched daily run). */
const STALE_RUN_ID = 'daily-2024-01-09';

const FIXTURES = path.resolve(__dirname, '../fixtures/market-data/yahoo');
const recording = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** Strip ANSI colours from CLI output. */
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('dailyRunWorkflow takes what its input leaves out from the worker config, and says which tickers are stale', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let yahoo: ReplayServer;
  let config: AppConfig;
  let services: ReturnType<typeof testDependencies>;
  let runs = 0;

  beforeAll(async () => {
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: tempDir('algo-config-mail-') }),
    ]);
    // Yahoo's v8 chart API on recorded answers: AAPL 2024-01-02..05, any other symbol unknown (404).
    yahoo = await startReplayServer((url) =>
      url.pathname === '/v8/finance/chart/AAPL'
        ? { body: recording('aapl-2024-01-02-to-05.json') }
        : { status: 404, body: recording('unknown-symbol-404.json') },
    );
    // The CSV directory would serve nothing for these: a run that reads it instead of Yahoo fails every ticker.
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir: tempDir('algo-config-csv-'),
      smtpPort: sink.port,
      tickers: ['AAPL', 'MSFT'],
    });
    config.marketData.provider = 'yahoo';
    config.marketData.yahoo = { requestsPerMinute: 600, baseUrl: yahoo.url };
    config.ingestion.batchSize = 1;
    services = testDependencies(config);
  });

  afterAll(async () => {
    await services?.close();
    await yahoo?.close();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => {}));
  afterEach(() => jest.restoreAllMocks());

  const runDaily = (input: DailyRunInput, workflowId = `daily-config-${++runs}`) =>
    env.client.workflow.execute('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [input],
    }) as Promise<DailyRunResult>;

  /** Every activity a workflow scheduled has a bounded retry policy (the email sends, in their own child workflow, are not among them). */
  async function expectBoundedRetries(workflowId: string): Promise<void> {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = history.events!.flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : [],
    );
    expect(scheduled.length).toBeGreaterThan(0);
    for (const a of scheduled)
      expect([a.activityType?.name, (a.retryPolicy?.maximumAttempts ?? 0) > 0]).toEqual([a.activityType?.name, true]);
  }

  it('a scheduled run (input `{}`) fetches through the configured provider (yahoo), with the configured batch size, and names the provider per ticker', async () => {
    const client = env.client;
    const gateway = TemporalGateway.fromConfig(client, config);
    await new DailyScheduleService({ temporal: async () => gateway, taskQueue: config.temporal.taskQueue }).create();
    const schedule = client.schedule.getHandle(DAILY_SCHEDULE_ID);
    const { result, workflowId } = await withTestWorker(env, config, async () => {
      // The schedule's own action for Thursday 2024-01-04 18:30 New York (23:30 UTC), as a missed run is caught up.
      await schedule.backfill([
        {
          start: new Date('2024-01-04T23:29:00Z'),
          end: new Date('2024-01-04T23:31:00Z'),
          overlap: ScheduleOverlapPolicy.ALLOW_ALL,
        },
      ]);
      const id = await waitFor(
        'the scheduled run',
        async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId,
      );
      const handle = client.workflow.getHandle(id);
      expect((await handle.describe()).type).toBe('dailyRunWorkflow');
      return { result: (await handle.result()) as DailyRunResult, workflowId: id };
    });
    await schedule.delete();

    expect(result.date).toBe('2024-01-04');
    expect(result.tickers).toEqual([
      { ticker: 'AAPL', ingestion: 'ok', evaluation: 'ok', provider: 'yahoo', lastBarDate: '2024-01-04' },
      {
        ticker: 'MSFT',
        ingestion: 'failed',
        evaluation: 'no_data',
        error: expect.stringMatching(/^unknown ticker MSFT: Yahoo Finance has no data for it/),
      },
    ]);
    expect(result.stale).toEqual([{ ticker: 'MSFT', lastDate: null }]);
    expect(yahoo.requests.map((u) => u.pathname).sort()).toEqual(['/v8/finance/chart/AAPL', '/v8/finance/chart/MSFT']);
    const ingestRuns = await t.db.selectFrom('ingestion_runs').select(['provider']).execute();
    expect(ingestRuns.map((r) => r.provider)).toEqual(['yahoo']);
    // ingestion.batchSize = 1 from config: one ingestion activity per ticker.
    expect(workflowId).toMatch(/^daily-scheduled-/);
    const child = await env.client.workflow.getHandle(`${workflowId}-ingest`).fetchHistory();
    const batches = child.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ingestTickerBatch',
    );
    expect(batches).toHaveLength(2);
    await expectBoundedRetries(workflowId);
    await expectBoundedRetries(`${workflowId}-ingest`);
  });

  it('a run for a date after the data ends says which tickers are stale since when, steps no strategy on the missing days, and the CLI and `stack status` say so', async () => {
    const before = yahoo.requests.length;
    const result = await withTestWorker(env, config, () => runDaily({ date: '2024-01-09' }, STALE_RUN_ID));
    await expectBoundedRetries(STALE_RUN_ID);
    if (process.env.RECORD_REPLAY_HISTORY) {
      // How test/replay/histories/daily-run-bounded.json was recorded (a run with every patch of the daily run).
      const json = execFileSync((await testTemporalBinary())!, [
        'workflow',
        'show',
        '--address',
        env.address,
        '--workflow-id',
        STALE_RUN_ID,
        '--output',
        'json',
      ]);
      fs.writeFileSync(process.env.RECORD_REPLAY_HISTORY, json);
    }
    // Yahoo was asked again (from the day after the last stored bar) and gave 2024-01-05 only.
    expect(yahoo.requests.length).toBeGreaterThan(before);
    expect(result.tickers).toEqual([
      { ticker: 'AAPL', ingestion: 'ok', evaluation: 'stale', provider: 'yahoo', lastBarDate: '2024-01-05' },
      { ticker: 'MSFT', ingestion: 'failed', evaluation: 'no_data', error: expect.stringMatching(/MSFT/) },
    ]);
    expect(result.stale).toEqual([
      { ticker: 'AAPL', lastDate: '2024-01-05' },
      { ticker: 'MSFT', lastDate: null },
    ]);

    // No strategy was stepped on 2024-01-08 or 2024-01-09: signals and states end at the last bar.
    const signals = await new PostgresSignalRepository(t.db).list({ ticker: 'AAPL' });
    expect(Math.max(...signals.map((s) => Date.parse(s.date)))).toBe(Date.parse('2024-01-05'));
    expect(signals.filter((s) => s.date === '2024-01-05').length).toBe(config.strategies.default.length);
    const labels = config.strategies.default.map((s) => s.name);
    const states = await services.deps.states.getMany(labels.map((strategy) => ({ ticker: 'AAPL', strategy })));
    expect([...states.values()].map((s) => s.state.lastDate)).toEqual(labels.map(() => '2024-01-05'));
    expect(Object.values(result.counts!).reduce((a, b) => a + b)).toBe(labels.length);

    // `algo run-daily` says it.
    const output = plain(renderDailyRun(result));
    expect(output).toContain(
      'stale: 2 of 2 tickers have no bar for 2024-01-09, nothing evaluated on it: AAPL since 2024-01-05; MSFT (no data at all)',
    );

    // `algo stack status` says it, the day after.
    const freshness = await dataFreshness(t.db, config, Date.parse('2024-01-10T15:00:00Z'));
    expect(freshness).toEqual({
      expected: '2024-01-09',
      tracked: 2,
      stale: [
        { ticker: 'MSFT', lastDate: null },
        { ticker: 'AAPL', lastDate: '2024-01-05' },
      ],
      quarantined: [],
    });
    expect(plain(renderFreshness(freshness))).toBe(
      'data: 2 of 2 tracked tickers are stale (no bar for 2024-01-09): AAPL since 2024-01-05; MSFT (no data at all)',
    );
    // On 2024-01-08 the last trading day before is 2024-01-05: AAPL is current.
    const current = await dataFreshness(t.db, config, Date.parse('2024-01-08T15:00:00Z'));
    expect(current.stale).toEqual([{ ticker: 'MSFT', lastDate: null }]);
  });

  it.each([
    [{ date: '2024-02-30' }, /date "2024-02-30" is not a valid YYYY-MM-DD date/],
    [{ date: '2024-01-09', provider: 'bloomberg' }, /provider "bloomberg" is not one of csv, yahoo, alphavantage/],
    [{ date: '2024-01-09', providers: ['yahoo', 'nope'] }, /provider "nope"/],
    [{ date: '2024-01-09', batchSize: 0 }, /batchSize must be a positive integer/],
  ])('invalid input %j fails the workflow at once with a non-retryable BadInputError', async (input, message) => {
    const error = await withTestWorker(env, config, () => runDaily(input as DailyRunInput).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect([(cause as ApplicationFailure).type, (cause as ApplicationFailure).nonRetryable]).toEqual([
      'BadInputError',
      true,
    ]);
    expect((cause as ApplicationFailure).message).toMatch(message);
  });
});
