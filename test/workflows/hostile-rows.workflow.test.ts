import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import type { IngestPricesInput, IngestPricesResult } from '../../src/workflows/ingest-prices.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';

const SP500_AAPL = path.resolve(__dirname, '../../../shared/data/sp500_5yr/AAPL_data.csv');

/**
 * Issue 18 point 8: one hostile file, the real first 40 days of AAPL with bad
 * rows put in. Each bad row is refused with its reason; the rest lands.
 */
describe('hostile rows in a price file (real Temporal, Postgres)', () => {
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

  const ingest = (input: IngestPricesInput) =>
    withTestWorker(
      env,
      config,
      () =>
        env.client.workflow.execute('ingestPricesWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `ingest-hostile-${Date.now()}-${Math.random()}`,
          args: [input],
        }) as Promise<IngestPricesResult>,
    );

  it('refuses a 5e7 and a 1e308 close, an 1800 date, another ticker, a 1,000x jump and a fractional volume, each with its reason; the other rows land', async () => {
    const [header, ...lines] = fs.readFileSync(SP500_AAPL, 'utf8').trim().split('\n');
    const real = lines.slice(0, 40).map((line) => line.split(','));
    const cells = real.map((fields) => [...fields]);
    const dateOf = (i: number) => cells[i][0];
    // date,open,high,low,close,volume,Name
    cells[5][4] = '5e7';
    cells[10][4] = '1e308';
    cells[15][6] = 'MSFT';
    for (const column of [1, 2, 3, 4]) cells[20][column] = String(Number(cells[20][column]) * 1000);
    cells[25][5] = `${cells[25][5]}.5`;
    const text = [header, '1800-01-01,67.7,68.4,66.9,67.8,158168416,AAPL', ...cells.map((c) => c.join(','))].join('\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-hostile-'));
    fs.writeFileSync(path.join(dir, 'AAPL_data.csv'), `${text}\n`);

    const result = await ingest({ provider: 'csv', csvDir: dir, tickers: ['AAPL'], asOf: '2013-12-31' });

    const aapl = result.tickers[0];
    const jumped = Number(real[20][4]) * 1000;
    expect(aapl).toMatchObject({ ticker: 'AAPL', status: 'ok', inserted: 35, rejectedCount: 6 });
    const expectedReasons = [
      ['1800-01-01', 'date 1800-01-01 is before 1900-01-01: no source has daily prices that old'],
      [dateOf(5), 'close 50000000 is above 10000000, more than any share has traded for'],
      [dateOf(10), 'close 1e+308 is above 10000000, more than any share has traded for'],
      [dateOf(15), "the row names ticker 'MSFT', not AAPL"],
      [
        dateOf(20),
        `close ${jumped} is ${Number((jumped / Number(real[19][4])).toPrecision(3))} times the previous close ${Number(real[19][4])} (${dateOf(19)}), and no split that day`,
      ],
      [dateOf(25), `volume ${real[25][5]}.5 is not a whole number of shares`],
    ];
    expect(aapl.rejected.map((r) => [r.date, r.reason])).toEqual(expectedReasons);
    const stored = await t.db
      .selectFrom('rejected_rows')
      .select(['source_date', 'reason'])
      .where('ticker', '=', 'AAPL')
      .orderBy('source_date')
      .execute();
    expect(stored.map((r) => [r.source_date, r.reason])).toEqual(expectedReasons);

    const bars = await repo.bars('AAPL');
    const refused = new Set([5, 10, 15, 20, 25].map(dateOf));
    expect(bars.map((b) => b.date)).toEqual(real.map((c) => c[0]).filter((date) => !refused.has(date)));
    // Every stored bar is the file's own row, untouched.
    for (const bar of bars) {
      const fields = real.find((c) => c[0] === bar.date)!;
      expect([bar.open, bar.high, bar.low, bar.close, bar.volume]).toEqual(fields.slice(1, 6).map(Number));
    }
    const span = await t.db
      .selectFrom('tickers')
      .select(['first_date', 'last_date'])
      .where('symbol', '=', 'AAPL')
      .executeTakeFirstOrThrow();
    expect(span).toEqual({ first_date: dateOf(0), last_date: dateOf(39) });
  });
});
