import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { near52WeekHigh } from '../../examples/strategies/near-52-week-high.strategy';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PROJECT_ROOT } from '../../src/config/config';
import { BarSeries } from '../../src/domain/strategies';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { killWorkerProcess, startWorkerProcess, type WorkerProcessEnv } from '../support/daily-run';
import { tempDir } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { testConfig } from '../support/worker';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'strategy-plugins');
/** The last day of the bundled sample. */
const DAY = '2018-02-07';

describe('the worker loads strategy plugins at start (strategies.modules)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let workerEnv: WorkerProcessEnv;

  beforeAll(async () => {
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: tempDir('algo-plugin-mail-') }),
    ]);
    const config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, smtpPort: sink.port });
    // A config file as a user writes one: the example plugin's folder, and its strategy run for every ticker.
    const file = path.join(tempDir('algo-plugin-config-'), 'config.yaml');
    fs.writeFileSync(
      file,
      [
        'strategies:',
        '  modules: [examples/strategies]',
        '  rules:',
        '    - name: above_sma20',
        '      description: The close crossing its 20-day average',
        '      entry: close crosses_above sma(20)',
        '      exit: close crosses_below sma(20)',
        '  default:',
        '    - { name: sma_cross }',
        '    - { name: near_52_week_high, params: { window: 50 } }',
        '    - { name: above_sma20 }',
        '',
      ].join('\n'),
    );
    workerEnv = {
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: path.join(PROJECT_ROOT, 'data', 'sample'),
      ALGO_TICKERS: 'AAPL',
      SMTP_PORT: String(sink.port),
      ALGO_CONFIG: file,
    };
  });

  afterAll(async () => {
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  it('runs the example plugin and a rule of the config file in a daily run, their signals and inputs recorded like a built-in', async () => {
    let worker: ChildProcess | undefined = await startWorkerProcess(workerEnv);
    try {
      const result = (await env.client.workflow.execute('dailyRunWorkflow', {
        taskQueue: workerEnv.TEMPORAL_TASK_QUEUE,
        workflowId: `daily-plugin-${DAY}`,
        args: [{ date: DAY }],
      })) as DailyRunResult;
      expect(result.tickers).toEqual([expect.objectContaining({ ticker: 'AAPL', ingestion: 'ok', evaluation: 'ok' })]);
      await killWorkerProcess(worker, 'SIGTERM');
      worker = undefined;
    } finally {
      if (worker) await killWorkerProcess(worker, 'SIGTERM');
    }

    const signals = await new PostgresSignalRepository(t.db).list({ ticker: 'AAPL', date: DAY });
    const plugin = signals.find((s) => s.strategy === 'near_52_week_high');
    expect(signals.map((s) => s.strategy).sort()).toEqual(['above_sma20', 'near_52_week_high', 'sma_cross']);
    // The rule written in the config file ran in the worker like a built-in, on the operands it names.
    expect(Object.keys(signals.find((s) => s.strategy === 'above_sma20')!.inputs).sort()).toEqual(['close', 'sma(20)']);
    // The numbers it decided on are the plugin's own, with the configured window, on the stored bars.
    const bars = await new PostgresPriceRepository(t.db).bars('AAPL');
    const prepared = near52WeekHigh.prepare(BarSeries.from(bars), near52WeekHigh.parseParams({ window: 50 }));
    expect(bars.at(-1)!.date).toBe(DAY);
    expect(plugin).toMatchObject({ strategyVersion: 1, inputs: prepared.inputs(bars.length - 1) });
    expect(plugin!.inputs.high).toBe(Math.max(...bars.slice(-51, -1).map((b) => b.high)));
  });

  it.each([
    ['peeking.strategy.ts', /strategy tomorrows_close looks ahead: first on \d{4}-\d\d-\d\d \(/],
    ['throws-on-import.strategy.ts', /cannot open the plugin feed/],
  ])('stops the start on a refused plugin (%s) with its path and why, before connecting', async (name, why) => {
    const modulePath = path.join(FIXTURES, name);
    const start = startWorkerProcess({ ...workerEnv, ALGO_STRATEGY_MODULES: modulePath });
    await expect(start).rejects.toThrow(
      `worker exited (1): worker failed: invalid configuration: strategies.modules: ${modulePath}: `,
    );
    await expect(start).rejects.toThrow(why);
  });
});
