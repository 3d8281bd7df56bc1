import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import type { IngestPricesResult } from '../../src/workflows/ingest-prices.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startReplayServer, type ReplayServer } from '../support/http-replay';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';

const FIXTURES = path.resolve(__dirname, '../fixtures/market-data');
const recording = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('ingestPricesWorkflow with the failover order [yahoo, alphavantage] on recorded answers', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let yahoo: ReplayServer;
  let alpha: ReplayServer;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    yahoo = await startReplayServer((url) => {
      if (url.pathname === '/v8/finance/chart/AAPL') return { body: recording('yahoo/aapl-2024-01-02-to-05.json') };
      if (url.pathname === '/v8/finance/chart/KO')
        return { status: 429, body: 'Too Many Requests', contentType: 'text/plain' };
      return { status: 404, body: recording('yahoo/unknown-symbol-404.json') };
    });
    alpha = await startReplayServer((url) =>
      url.searchParams.get('symbol') === 'KO'
        ? { body: recording('alphavantage/ko-2012-08-01-to-10.json') }
        : { body: recording('alphavantage/error-invalid-symbol.json') },
    );
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    config.marketData.yahoo = { requestsPerMinute: 600, baseUrl: yahoo.url };
    config.marketData.alphaVantage = { apiKey: 'TESTKEY', requestsPerMinute: 600, baseUrl: alpha.url };
  });
  afterAll(async () => {
    await yahoo?.close();
    await alpha?.close();
    await t?.destroy();
    await env?.teardown();
  });

  it('serves a rate-limited ticker from the next provider, says who served each, and reports an unknown ticker without failing over', async () => {
    jest.spyOn(console, 'error').mockImplementation(() => {});
    const result = (await withTestWorker(env, config, () =>
      env.client.workflow.execute('ingestPricesWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `ingest-failover-${Date.now()}`,
        args: [
          {
            provider: 'yahoo',
            providers: ['yahoo', 'alphavantage'],
            tickers: ['AAPL', 'KO', 'NOSUCH'],
            asOf: '2024-01-05',
          },
        ],
      }),
    )) as IngestPricesResult;

    const [aapl, ko, nosuch] = result.tickers;
    expect([aapl.ticker, aapl.status, aapl.provider, aapl.inserted, aapl.failover]).toEqual([
      'AAPL',
      'ok',
      'yahoo',
      4,
      undefined,
    ]);
    expect([ko.ticker, ko.status, ko.provider, ko.inserted]).toEqual(['KO', 'ok', 'alphavantage', 8]);
    expect(ko.failover).toEqual([
      { provider: 'yahoo', error: expect.stringMatching(/^Yahoo Finance is unavailable for KO \(HTTP 429\)/) },
    ]);
    expect([nosuch.status, nosuch.provider]).toEqual(['failed', undefined]);
    expect(nosuch.error).toMatch(/^unknown ticker NOSUCH: Yahoo Finance has no data for it/);
    // Not failed over: Alpha Vantage was asked for KO only.
    expect(alpha.requests.map((u) => u.searchParams.get('symbol'))).toEqual(['KO']);

    const stored = await t.db
      .selectFrom('ingestion_run_tickers')
      .select(['ticker', 'provider', 'failover'])
      .orderBy('ticker')
      .execute();
    expect(stored.map((r) => [r.ticker, r.provider, r.failover.map((a) => a.provider)])).toEqual([
      ['AAPL', 'yahoo', []],
      ['KO', 'alphavantage', ['yahoo']],
      ['NOSUCH', null, []],
    ]);
    const ko10 = await t.db
      .selectFrom('daily_bars')
      .select(['close', 'adj_close'])
      .where('ticker', '=', 'KO')
      .where('date', '=', '2012-08-10')
      .executeTakeFirstOrThrow();
    expect(ko10).toEqual({ close: 78.79, adj_close: 29.8869 });
  });
});
