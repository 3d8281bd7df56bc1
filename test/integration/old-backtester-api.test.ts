import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { FilesystemObjectStore } from '../../src/adapters/object-store/filesystem-object.store';
import { PostgresBacktestRepository } from '../../src/adapters/postgres/postgres-backtest.repository';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { runBacktest } from '../../src/domain/backtest/engine';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { loadSeedBars } from '../unit/strategies/seed-bars';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition@3, which jest cannot load (see api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'old-backtester-admin-key-0123456789abcdef';

describe("the old backtester's POST /backtest, on the API port, over the same backtest service and workflow", () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let reportsDir: string;
  let app: FastifyInstance;
  let baseUrl: string;
  const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-old-backtester-'));
    config.backtests.reports.dir = reportsDir;
    const prices = new PostgresPriceRepository(t.db);
    await prices.startRun({ runId: 'seed', asOf: '2010-12-31', provider: 'csv', tickers: ['AAPL'] });
    await prices.saveIngestion({ runId: 'seed', ticker: 'AAPL', bars, rejected: [] });
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: API_KEY,
          publicUrl: 'http://127.0.0.1:8000',
          tokenSecrets: ['x'.repeat(32)],
        },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      prices,
      mailer: new NodemailerMailer({ host: '127.0.0.1', port: 1, secure: false, from: 'Algo <signals@localhost>' }),
      signer: new HmacTokenSigner('x'.repeat(32)),
      backtests: new PostgresBacktestRepository(t.db),
      reports: new FilesystemObjectStore(reportsDir),
      temporal: TemporalGateway.fromConfig(env.client, config),
      webApp: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
    await env?.teardown();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  const post = async (body: unknown, key: string | null = API_KEY) => {
    const res = await fetch(`${baseUrl}/backtest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers the old shape, figures from the same engine; max starts at the first stored day', async () => {
    await withTestWorker(env, config, async () => {
      const window = await post({
        ticker: 'AAPL',
        strategy: 'sma_cross',
        start_date: '2005-04-01',
        end_date: '2005-06-03',
        starting_capital: 1000,
      });
      const engine = runBacktest({ bars, strategy: 'sma_cross', startDate: '2005-04-01', endDate: '2005-06-03' });
      expect(window).toEqual({
        status: 200,
        body: {
          status: 200,
          body: {
            ticker: 'AAPL',
            start_date: '2005-04-01',
            end_date: '2005-06-03',
            init_cap: 1000,
            final_cap: engine.finalCapital,
            cap_gains: -12.36,
            num_trades: 2,
          },
        },
      });

      const max = await post({
        ticker: 'AAPL',
        strategy: 'SMACross',
        start_date: 'max',
        end_date: '2010-12-31',
        starting_capital: 1000,
      });
      const whole = runBacktest({ bars, strategy: 'sma_cross', endDate: '2010-12-31' });
      expect(max.body).toEqual({
        status: 200,
        body: {
          ticker: 'AAPL',
          start_date: '2004-01-02',
          end_date: '2010-12-31',
          init_cap: 1000,
          final_cap: whole.finalCapital,
          cap_gains: whole.returnPct,
          num_trades: whole.orders,
        },
      });
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["its own script's 2000-01-01 (before the stored data)", { start_date: '2000-01-01' }, /start_date/],
    ['a Saturday inside the stored data', { start_date: '2005-04-02' }, /start_date 2005-04-02 is not a trading day/],
    ['a date that is not one', { start_date: '2005-02-30' }, /start_date/],
    ['a capital of zero', { starting_capital: 0 }, /capital/],
  ])('a bad request is a 400 naming the field: %s', async (_name, fields, message) => {
    const res = await post({ ticker: 'AAPL', strategy: 'sma_cross', end_date: '2005-06-03', ...fields });
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toMatch(message);
  });

  it('needs the admin key', async () => {
    expect((await post({ ticker: 'AAPL', strategy: 'sma_cross' }, null)).status).toBe(401);
  });
});
