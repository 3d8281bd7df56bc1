import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { previousTradingDay, tradingDays } from '../../src/domain/calendar';
import type { IsoDate } from '../../src/domain/dates';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { tempDir } from '../support/mail';

const SP500 = path.resolve(__dirname, '../../../shared/data/sp500_5yr');
/** The S&P 500 data ends here; the 20 trading days up to it are caught up by one run. */
const LAST: IsoDate = '2018-02-07';
const KINDS = ['BUY', 'SELL', 'HOLD', 'WAIT'] as const;

describe('a 20-day catch-up over 505 tickers x 5 strategies (csv provider): a bounded result', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let config: AppConfig;
  const tickers = fs
    .readdirSync(SP500)
    .filter((f) => f.endsWith('_data.csv'))
    .map((f) => f.replace(/_data\.csv$/, ''))
    .sort();

  beforeAll(async () => {
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: tempDir('algo-catch-up-mail-') }),
    ]);
    // The shipped config's five strategies, every S&P 500 ticker, the csv provider on the shared data, from config only.
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir: SP500,
      smtpPort: sink.port,
      tickers,
    });
    config.marketData.provider = 'csv';
    expect(config.strategies.default).toHaveLength(5);
  });

  afterAll(async () => {
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  it('records every missed day of every pair, and returns counts per kind, the BUY/SELL and per-ticker status, never every HOLD/WAIT', async () => {
    expect(tickers).toHaveLength(505);
    const missed = tradingDays('2018-01-01', LAST).slice(-20);
    expect(missed).toHaveLength(20);
    const d0 = previousTradingDay(missed[0]);

    const timings: Record<string, number> = {};
    const run = async (date: IsoDate) => {
      const started = Date.now();
      const result = (await env.client.workflow.execute('dailyRunWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `catch-up-${date}`,
        args: [{ date } satisfies DailyRunInput],
      })) as DailyRunResult;
      timings[date] = Date.now() - started;
      return result;
    };
    const [first, caughtUp] = await withTestWorker(env, config, async () => [await run(d0), await run(LAST)]);

    expect(first.tickers.filter((x) => x.evaluation === 'failed')).toEqual([]);
    const stored = await new PostgresSignalRepository(t.db).list({ runDate: LAST });
    const days = new Set(stored.map((s) => s.date));
    expect([...days].sort()).toEqual(missed);
    // About 505 x 5 x 20 signals recorded by the catch-up (a ticker without a bar some day has none for it).
    expect(stored.length).toBeGreaterThan(505 * 5 * 19);
    expect(caughtUp.counts).toEqual(
      Object.fromEntries(KINDS.map((k) => [k, stored.filter((s) => s.signal === k).length])),
    );
    const actions = stored.filter((s) => s.signal === 'BUY' || s.signal === 'SELL');
    expect(caughtUp.signals).toEqual(
      actions.map(({ date, ticker, strategy, signal }) => ({ date, ticker, strategy, signal })),
    );
    expect(caughtUp.signals.length).toBeGreaterThan(0);
    expect(caughtUp.tickers).toHaveLength(505);
    expect(caughtUp.tickers.filter((x) => x.evaluation !== 'ok' || x.ingestion !== 'ok')).toEqual(
      (caughtUp.stale ?? []).map((s) => expect.objectContaining({ ticker: s.ticker, evaluation: 'stale' })),
    );

    // Bounded: far from Temporal's 2 MB payload limit, where the old shape (every signal) grows with the days missed.
    const size = JSON.stringify(caughtUp).length;
    const oldShape = JSON.stringify({
      ...caughtUp,
      signals: stored.map(({ date, ticker, strategy, signal }) => ({ date, ticker, strategy, signal })),
    }).length;
    process.stdout.write(
      `catch-up: ${stored.length} signals, ${actions.length} BUY/SELL; result ${size} bytes (all-signals shape: ${oldShape}); ` +
        `run of ${d0} (first, full history) ${timings[d0]} ms, run of ${LAST} (20 days caught up) ${timings[LAST]} ms\n`,
    );
    expect(size).toBeLessThan(512 * 1024);
  });
});
