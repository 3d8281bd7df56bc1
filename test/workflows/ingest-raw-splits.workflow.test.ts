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

const RAW = path.resolve(__dirname, '../../../shared/data/raw_with_splits');

/** A CSV directory with the real raw files of `tickers` and the given extra files. */
function csvDir(tickers: string[], extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-raw-'));
  for (const t of tickers) fs.copyFileSync(path.join(RAW, `${t}.csv`), path.join(dir, `${t}.csv`));
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('ingestPricesWorkflow over raw Alpha Vantage files (real Temporal, Postgres)', () => {
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

  const ingest = (input: IngestPricesInput) =>
    withTestWorker(env, config, () =>
      env.client.workflow.execute('ingestPricesWorkflow', {
        taskQueue: config.temporal.taskQueue, workflowId: `ingest-raw-${Date.now()}-${Math.random()}`, args: [input],
      }) as Promise<IngestPricesResult>);

  it('fails an error document, an HTML page and an empty file alone, each with its reason; the real file lands', async () => {
    const dir = csvDir(['KO'], {
      'ERRDOC.csv': '{\n    "Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED."\n}',
      'LIMIT.csv': '{"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day."}',
      'PAGE.csv': '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n',
      'BLANK.csv': '',
      'HEADER.csv': 'timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\n',
    });
    const tickers = ['BLANK', 'ERRDOC', 'HEADER', 'KO', 'LIMIT', 'PAGE'];
    const result = await ingest({ provider: 'csv', csvDir: dir, tickers, asOf: '2021-04-21', batchSize: 2 });

    const byTicker = new Map(result.tickers.map((r) => [r.ticker, r]));
    expect(result.tickers.map((r) => [r.ticker, r.status])).toEqual([
      ['BLANK', 'failed'], ['ERRDOC', 'failed'], ['HEADER', 'failed'], ['KO', 'ok'], ['LIMIT', 'failed'], ['PAGE', 'failed'],
    ]);
    expect(byTicker.get('ERRDOC')!.error).toBe(`${path.join(dir, 'ERRDOC.csv')} is an error document from the provider: Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED.`);
    expect(byTicker.get('LIMIT')!.error).toMatch(/LIMIT\.csv is a provider notice instead of data \(rate limit\?\): Thank you for using Alpha Vantage!/);
    expect(byTicker.get('PAGE')!.error).toMatch(/PAGE\.csv is an HTML page, not CSV: "502 Bad Gateway"$/);
    expect(byTicker.get('BLANK')!.error).toMatch(/BLANK\.csv is empty: expected a header/);
    expect(byTicker.get('HEADER')!.error).toMatch(/HEADER\.csv is empty: a header and no rows$/);

    const ko = byTicker.get('KO')!;
    expect(ko.inserted).toBe(5402);
    expect(ko.lastDate).toBe('2021-04-21');
    expect((await repo.bars('KO')).length).toBe(5402);
    expect(await repo.storedTickers()).toEqual(['KO']);
    // The failures are recorded with the run, nothing of them is stored as bars or rejected rows.
    const recorded = await repo.recordedResults(result.runId, tickers);
    expect(recorded.get('ERRDOC')).toMatchObject({ status: 'failed', error: byTicker.get('ERRDOC')!.error });
    expect(await t.db.selectFrom('rejected_rows').select('ticker').execute()).toEqual([]);
  });
});
