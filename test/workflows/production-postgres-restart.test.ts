import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import type { AppConfig } from '../../src/config/config';
import type { DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { killWorkerProcess, startWorkerProcess } from '../support/daily-run';
import { freePort, waitFor } from '../support/mail';
import { canCreateCluster, createPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { productionConfig, requireProductionBinaries, startProductionTemporal } from '../support/production-temporal';

// Production mode through Postgres restarts: the app's database and the Temporal
// server's two databases on a private cluster (pg_createcluster, another port; the
// shared one is never touched), restarted in the middle of the ingestion and again in
// the middle of the evaluation of the daily run over the 505 S&P 500 tickers.
requireProductionBinaries();
if (!canCreateCluster())
  throw new Error('the Postgres restart tests need pg_createcluster (postgresql-common) and root');

const SP500_DIR = path.resolve(__dirname, '../../../shared/data/sp500_5yr');
const DATE = '2018-02-07';
const STRATEGIES = 5;

describe('production mode through Postgres restarts during the ingestion and the evaluation', () => {
  let cluster: PrivatePostgres;
  let database: TestDatabase;
  let config: AppConfig;
  let temporal: { stop(): Promise<void> } | undefined;
  let connection: Connection;
  let worker: ChildProcess | undefined;
  const tickers = fs
    .readdirSync(SP500_DIR)
    .filter((name) => name.endsWith('_data.csv'))
    .map((name) => name.replace(/_data\.csv$/, ''));

  beforeAll(async () => {
    cluster = await createPrivatePostgres(await freePort());
    database = await createTestDatabase('algo_restart', cluster.url);
    config = await productionConfig(database.url, { ALGO_CSV_DIR: SP500_DIR });
    temporal = await startProductionTemporal(config);
    connection = await Connection.connect({ address: config.temporal.address });
  }, 300_000);

  afterAll(async () => {
    if (worker) await killWorkerProcess(worker, 'SIGTERM');
    await connection?.close();
    await temporal?.stop().catch(() => undefined);
    await database?.destroy().catch(() => undefined);
    await cluster?.drop();
  }, 120_000);

  /** A count from the app's database, or undefined while it restarts. */
  const count = async (query: ReturnType<typeof sql<{ n: string }>>) => {
    try {
      return Number((await query.execute(database.db)).rows[0].n);
    } catch {
      return undefined;
    }
  };

  it('finishes the run with every ticker ingested and every signal recorded', async () => {
    worker = await startWorkerProcess({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: SP500_DIR,
      ALGO_TICKERS: tickers.join(','),
      SMTP_PORT: String(await freePort()),
    });
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const run = await client.workflow.start('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `daily-${DATE}`,
      args: [{ date: DATE }],
    });

    // Mid-ingestion: some tickers' bars stored, not all.
    const ingested = sql<{ n: string }>`select count(distinct ticker) as n from daily_bars`;
    await waitFor('the ingestion to be under way', async () => ((await count(ingested)) ?? 0) > 0, 300_000, 50);
    expect(await count(ingested)).toBeLessThan(tickers.length);
    await cluster.restart();

    // Mid-evaluation: some of the day's signals recorded, not all.
    const evaluated = sql<{ n: string }>`select count(*) as n from signals where date = ${DATE}`;
    await waitFor('the evaluation to be under way', async () => ((await count(evaluated)) ?? 0) > 0, 600_000, 50);
    expect(await count(evaluated)).toBeLessThan(tickers.length * STRATEGIES);
    await cluster.restart();

    const result = (await run.result()) as DailyRunResult;
    expect((await run.describe()).status.name).toBe('COMPLETED');
    expect(result.tickers).toHaveLength(tickers.length);
    expect(result.tickers.filter((t) => t.ingestion !== 'ok' || t.evaluation !== 'ok')).toEqual([]);
    // Nothing lost and nothing twice: every ticker's bars to the date, one signal per ticker and strategy.
    expect(await count(sql`select count(*) as n from daily_bars where date = ${DATE}`)).toBe(tickers.length);
    expect(await count(evaluated)).toBe(tickers.length * STRATEGIES);
    expect(worker.exitCode).toBeNull();
  }, 1_500_000);
});
