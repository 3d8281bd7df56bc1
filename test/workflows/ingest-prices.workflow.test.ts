import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { enrichBars } from '../../src/domain/indicators';
import {
  ingestProgressQuery,
  type IngestPricesInput,
  type IngestPricesResult,
} from '../../src/workflows/ingest-prices.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { killWorkerProcess, startWorkerProcess } from '../support/daily-run';

const SP500 = path.resolve(__dirname, '../../../shared/data/sp500_5yr');

/** A CSV directory with real S&P files for `tickers`, plus a garbage file for BAD. */
function csvDir(tickers: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-ingest-'));
  for (const t of tickers) fs.copyFileSync(path.join(SP500, `${t}_data.csv`), path.join(dir, `${t}_data.csv`));
  fs.writeFileSync(path.join(dir, 'BAD.csv'), '\u0000\u0001 this is not a csv file\n<html>oops</html>\n');
  return dir;
}

describe('ingestPricesWorkflow on a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let repo: PostgresPriceRepository;
  let config: AppConfig;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    repo = new PostgresPriceRepository(t.db);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
  });
  afterAll(async () => {
    await t?.destroy();
    await env?.teardown();
  });
  beforeEach(() => t.truncateAll());

  const withWorker = <T>(fn: () => Promise<T>) => withTestWorker(env, config, fn);

  const ingest = (input: IngestPricesInput) =>
    env.client.workflow.execute('ingestPricesWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `ingest-${Date.now()}-${Math.random()}`,
      args: [input],
    }) as Promise<IngestPricesResult>;

  it('ingests several tickers; the unreadable ones fail alone; re-ingesting changes nothing', async () => {
    const dir = csvDir(['AAPL', 'MSFT', 'XOM']);
    const input: IngestPricesInput = {
      provider: 'csv',
      csvDir: dir,
      tickers: ['AAPL', 'BAD', 'MSFT', 'NOPE', 'XOM'],
      asOf: '2018-02-07',
      batchSize: 2,
    };
    const first = await withWorker(() => ingest(input));

    expect(first.tickers.filter((r) => r.ticker !== 'BAD' && r.ticker !== 'NOPE').map((r) => r.error ?? null)).toEqual([
      null,
      null,
      null,
    ]);
    expect(first.tickers.map((r) => [r.ticker, r.status])).toEqual([
      ['AAPL', 'ok'],
      ['BAD', 'failed'],
      ['MSFT', 'ok'],
      ['NOPE', 'failed'],
      ['XOM', 'ok'],
    ]);
    expect(first.tickers.find((r) => r.ticker === 'NOPE')!.error).toMatch(/NOPE/);
    for (const ticker of ['AAPL', 'MSFT', 'XOM']) {
      const result = first.tickers.find((r) => r.ticker === ticker)!;
      const stored = await repo.bars(ticker);
      expect(result.inserted).toBe(stored.length);
      expect(stored.length).toBeGreaterThan(1200);
      expect(stored[stored.length - 1].date).toBe('2018-02-07');
    }

    const before = await t.db.selectFrom('daily_bars').selectAll().orderBy(['ticker', 'date']).execute();
    const second = await withWorker(() => ingest(input));
    for (const r of second.tickers.filter((r) => r.status === 'ok')) expect([r.inserted, r.updated]).toEqual([0, 0]);
    const after = await t.db.selectFrom('daily_bars').selectAll().orderBy(['ticker', 'date']).execute();
    expect(after).toEqual(before);
  });

  it('never ingests after the as-of date, and a later run adds exactly the missing days, enriched as a full recompute would', async () => {
    const dir = csvDir(['AAPL']);
    const first = await withWorker(() =>
      ingest({ provider: 'csv', csvDir: dir, tickers: ['AAPL'], asOf: '2016-06-30' }),
    );
    expect(first.tickers[0].lastDate).toBe('2016-06-30');
    expect((await repo.bars('AAPL', { from: '2016-07-01' })).length).toBe(0);

    const second = await withWorker(() =>
      ingest({ provider: 'csv', csvDir: dir, tickers: ['AAPL'], asOf: '2018-02-07' }),
    );
    const stored = await repo.bars('AAPL');
    expect(second.tickers[0].inserted).toBe(stored.filter((b) => b.date > '2016-06-30').length);

    const full = enrichBars(
      stored.map(({ date, open, high, low, close, adjClose, volume }) => ({
        date,
        open,
        high,
        low,
        close,
        adjClose,
        volume,
      })),
      [],
    );
    expect(stored).toEqual(full);
  });

  it('completes with exactly the right rows when the worker is killed mid-run and restarted', async () => {
    const tickers = fs
      .readdirSync(SP500)
      .map((f) => f.replace('_data.csv', ''))
      .sort()
      .slice(0, 40);
    const dir = csvDir(tickers);
    const workerEnv = {
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `${config.temporal.taskQueue}-process`,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: dir,
      SMTP_PORT: String(config.mail.port),
    };
    // Node runs the worker itself (tsx as a loader), so SIGKILL hits the real worker.
    const startWorker = () => startWorkerProcess(workerEnv);

    let worker = await startWorker();
    const handle = await env.client.workflow.start('ingestPricesWorkflow', {
      taskQueue: `${config.temporal.taskQueue}-process`,
      workflowId: `ingest-kill-${Date.now()}`,
      args: [
        {
          provider: 'csv',
          csvDir: dir,
          tickers,
          asOf: '2018-02-07',
          batchSize: 2,
          maxConcurrentBatches: 1,
        } satisfies IngestPricesInput,
      ],
    });
    // Kill it (no graceful shutdown) once some batches are done and others are not.
    let progressAtKill: { done: number; total: number };
    for (;;) {
      const progress = await handle.query(ingestProgressQuery).catch(() => undefined);
      if (progress && progress.done >= 4) {
        progressAtKill = progress;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await killWorkerProcess(worker, 'SIGKILL');
    expect(progressAtKill.done).toBeLessThan(tickers.length);

    worker = await startWorker();
    try {
      const result = (await handle.result()) as IngestPricesResult;
      expect(result.tickers.every((r) => r.status === 'ok')).toBe(true);
      const counts = await t.db
        .selectFrom('daily_bars')
        .select(['ticker', t.db.fn.countAll<number>().as('n')])
        .groupBy('ticker')
        .orderBy('ticker')
        .execute();
      // Every ticker's reported inserts equal its stored rows: nothing lost, nothing counted twice.
      expect(counts.map((c) => [c.ticker, Number(c.n)])).toEqual(result.tickers.map((r) => [r.ticker, r.inserted]));
    } finally {
      await killWorkerProcess(worker, 'SIGTERM');
    }
  });
});
