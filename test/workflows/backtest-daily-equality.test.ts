import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { runBacktest } from '../../src/domain/backtest/engine';
import { tradingDays } from '../../src/domain/calendar';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';

const SP500 = path.resolve(__dirname, '../../../shared/data/sp500_5yr');
/** The first daily run: its ingestion stores 2013-02-08..D0 and initialises every state from that whole history. */
const D0 = '2014-03-11';
/** Ten trading days later (NYSE calendar); AAPL's sma_cross and macd_cross both trade in between. */
const LAST = '2014-03-25';

describe('one strategy path: the backtest engine gives, day by day, the signals the daily workflow records', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let csvDir: string;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, tickers: ['AAPL'] });
    csvDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-equality-'));
    fs.copyFileSync(path.join(SP500, 'AAPL_data.csv'), path.join(csvDir, 'AAPL_data.csv'));
  });
  afterAll(async () => {
    await t?.destroy();
    await env?.teardown();
    if (csvDir) fs.rmSync(csvDir, { recursive: true, force: true });
  });

  it(`daily runs ${D0}..${LAST} record, for every configured strategy, the signals a backtest from the first stored day gives`, async () => {
    const days = tradingDays(D0, LAST);
    expect(days).toHaveLength(11);
    await withTestWorker(env, config, async () => {
      for (const date of days) {
        const result = (await env.client.workflow.execute('dailyRunWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `daily-equality-${date}-${Date.now()}`,
          args: [{ date, tickers: ['AAPL'], provider: 'csv', csvDir } satisfies DailyRunInput],
        })) as DailyRunResult;
        expect(result.tickers).toEqual([
          { ticker: 'AAPL', ingestion: 'ok', evaluation: 'ok', provider: 'csv', lastBarDate: date },
        ]);
      }
    });

    const bars = await new PostgresPriceRepository(t.db).bars('AAPL');
    expect([bars[0].date, bars[bars.length - 1].date]).toEqual(['2013-02-08', LAST]);
    const recorded = await new PostgresSignalRepository(t.db).list({ ticker: 'AAPL' });
    const strategies = config.strategies.default;
    expect(strategies.map((s) => s.name)).toEqual(expect.arrayContaining(['sma_cross', 'macd_cross']));

    for (const { name, params } of strategies) {
      const daily = recorded.filter((r) => r.strategy === name);
      // One signal per run day, nothing before D0 (the first run initialises from the history and records only D0).
      expect(daily.map((r) => r.date)).toEqual(days);
      // The backtest from the same first stored day, over the same stored bars.
      const backtest = runBacktest({ bars, strategy: name, params });
      expect(backtest.startDate).toBe('2013-02-08');
      const engineSignal = new Map(backtest.dates.map((date, i) => [date, backtest.signals[i]]));
      expect(daily.map((r) => [r.date, r.signal])).toEqual(days.map((date) => [date, engineSignal.get(date)]));
      const fills = backtest.trades.filter((tr) => tr.date >= D0).map((tr) => [tr.date, tr.side]);
      expect(daily.filter((r) => r.signal === 'BUY' || r.signal === 'SELL').map((r) => [r.date, r.signal])).toEqual(
        fills,
      );
    }

    // Not a vacuous comparison: both main strategies changed position inside the window.
    for (const name of ['sma_cross', 'macd_cross']) {
      const actions = recorded.filter((r) => r.strategy === name && (r.signal === 'BUY' || r.signal === 'SELL'));
      expect(actions.length).toBeGreaterThanOrEqual(2);
    }
  });
});
