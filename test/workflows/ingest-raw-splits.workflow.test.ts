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
    withTestWorker(
      env,
      config,
      () =>
        env.client.workflow.execute('ingestPricesWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `ingest-raw-${Date.now()}-${Math.random()}`,
          args: [input],
        }) as Promise<IngestPricesResult>,
    );

  it('fails an error document, an HTML page and an empty file alone, each with its reason; the real file lands', async () => {
    const dir = csvDir(['KO'], {
      'ERRDOC.csv':
        '{\n    "Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED."\n}',
      'LIMIT.csv':
        '{"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day."}',
      'PAGE.csv':
        '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n',
      'BLANK.csv': '',
      'HEADER.csv': 'timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\n',
    });
    const tickers = ['BLANK', 'ERRDOC', 'HEADER', 'KO', 'LIMIT', 'PAGE'];
    const result = await ingest({ provider: 'csv', csvDir: dir, tickers, asOf: '2021-04-21', batchSize: 2 });

    const byTicker = new Map(result.tickers.map((r) => [r.ticker, r]));
    expect(result.tickers.map((r) => [r.ticker, r.status])).toEqual([
      ['BLANK', 'failed'],
      ['ERRDOC', 'failed'],
      ['HEADER', 'failed'],
      ['KO', 'ok'],
      ['LIMIT', 'failed'],
      ['PAGE', 'failed'],
    ]);
    expect(byTicker.get('ERRDOC')!.error).toBe(
      `${path.join(dir, 'ERRDOC.csv')} is an error document from the provider: Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED.`,
    );
    expect(byTicker.get('LIMIT')!.error).toMatch(
      /LIMIT\.csv is a provider notice instead of data \(rate limit\?\): Thank you for using Alpha Vantage!/,
    );
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

  it('stores KO, NFLX and NKE split-adjusted with their raw close, their splits and dividends; a re-run changes nothing', async () => {
    const dir = csvDir(['KO', 'NFLX', 'NKE']);
    const input: IngestPricesInput = {
      provider: 'csv',
      csvDir: dir,
      tickers: ['KO', 'NFLX', 'NKE'],
      asOf: '2021-04-21',
    };
    const first = await ingest(input);
    expect(first.tickers.map((r) => [r.ticker, r.status, r.inserted, r.rejectedCount, r.newSplits])).toEqual([
      ['KO', 'ok', 5402, 0, undefined],
      ['NFLX', 'ok', 4761, 0, undefined],
      ['NKE', 'ok', 5402, 0, undefined],
    ]);

    const nflx = await repo.bars('NFLX');
    const day = (date: string) => nflx.find((b) => b.date === date)!;
    expect(day('2015-07-14')).toMatchObject({
      close: 702.6 / 7,
      open: 708.9 / 7,
      volume: 2819491 * 7,
      rawClose: 702.6,
      splitFactor: 7,
      adjClose: 100.3713282,
    });
    expect(day('2004-02-11')).toMatchObject({ close: 71.96 / 14, rawClose: 71.96, splitFactor: 14 });
    expect(day('2015-07-15')).not.toHaveProperty('rawClose');
    expect(day('2015-07-15').close).toBe(98.13);
    // The stored averages see no jump on the split day.
    expect(Math.abs(day('2015-07-15').sma7! / day('2015-07-14').sma7! - 1)).toBeLessThan(0.05);
    const raw = await t.db
      .selectFrom('daily_bars')
      .select(['raw_close', 'split_factor'])
      .where('ticker', '=', 'NFLX')
      .where('date', '=', '2015-07-14')
      .executeTakeFirstOrThrow();
    expect(raw).toEqual({ raw_close: 702.6, split_factor: 7 });

    const splits = async (ticker: string) => (await repo.corporateActions(ticker)).filter((a) => a.splitFactor !== 1);
    expect(await splits('NFLX')).toEqual([
      { date: '2004-02-12', splitFactor: 2, dividend: 0, spinOff: false },
      { date: '2015-07-15', splitFactor: 7, dividend: 0, spinOff: false },
    ]);
    expect((await splits('NKE')).map((a) => a.date)).toEqual(['2007-04-03', '2012-12-26', '2015-12-24']);
    expect((await splits('KO')).map((a) => [a.date, a.splitFactor])).toEqual([['2012-08-13', 2]]);
    expect((await repo.corporateActions('KO', { from: '2020-01-01' })).map((a) => [a.date, a.dividend])).toEqual([
      ['2020-03-13', 0.41],
      ['2020-06-12', 0.41],
      ['2020-09-14', 0.41],
      ['2020-11-30', 0.41],
      ['2021-03-12', 0.42],
    ]);

    const before = await t.db.selectFrom('daily_bars').selectAll().orderBy(['ticker', 'date']).execute();
    const actionsBefore = await t.db
      .selectFrom('corporate_actions')
      .select(['ticker', 'date', 'updated_at'])
      .orderBy(['ticker', 'date'])
      .execute();
    const second = await ingest(input);
    expect(second.tickers.map((r) => [r.inserted, r.updated])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(await t.db.selectFrom('daily_bars').selectAll().orderBy(['ticker', 'date']).execute()).toEqual(before);
    expect(
      await t.db
        .selectFrom('corporate_actions')
        .select(['ticker', 'date', 'updated_at'])
        .orderBy(['ticker', 'date'])
        .execute(),
    ).toEqual(actionsBefore);
  });

  it('reports a split that arrives after the stored history as newSplits (its earlier bars still need a re-adjust)', async () => {
    const dir = csvDir(['NFLX']);
    await ingest({ provider: 'csv', csvDir: dir, tickers: ['NFLX'], asOf: '2015-07-10' });
    const later = await ingest({ provider: 'csv', csvDir: dir, tickers: ['NFLX'], asOf: '2015-07-20' });
    // Its six new days are not stored by the ingestion beside the unadjusted history: the re-adjustment stores them with it.
    expect(later.tickers[0]).toMatchObject({
      status: 'ok',
      inserted: 0,
      newSplits: [{ date: '2015-07-15', factor: 7, spinOff: false }],
    });
    const recorded = await repo.recordedResults(later.runId, ['NFLX']);
    expect(recorded.get('NFLX')!.newSplits).toEqual([{ date: '2015-07-15', factor: 7, spinOff: false }]);
    expect((await repo.corporateActions('NFLX', { from: '2015-01-01' })).map((a) => a.date)).toEqual(['2015-07-15']);
    expect((await repo.bars('NFLX', { from: '2015-07-13' })).map((b) => b.date)).toEqual([
      '2015-07-13',
      '2015-07-14',
      '2015-07-15',
      '2015-07-16',
      '2015-07-17',
      '2015-07-20',
    ]);
  });
});
