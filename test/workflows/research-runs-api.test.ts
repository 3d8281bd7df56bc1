import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSweepRepository } from '../../src/adapters/postgres/postgres-sweep.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { ingestPricesWorkflow } from '../../src/workflows/ingest-prices.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { tempDir } from '../support/mail';
import { syntheticBars, writeCsv } from '../support/synthetic-bars';
import { startTestTemporal } from '../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../support/worker';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'research-runs-admin';
const ADMIN = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

describe('sweeps and recommendations over the API, like the CLI (real Temporal, worker, Postgres)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let api: FastifyInstance;
  let mailer: NodemailerMailer;
  let worker: TestWorker;
  let baseUrl: string;
  let ingestId: string;

  beforeAll(async () => {
    const csvDir = tempDir('algo-research-csv-');
    writeCsv(csvDir, 'AAPL', syntheticBars('2022-03-04', 0, 100, '2017-01-03'));
    writeCsv(csvDir, 'MSFT', syntheticBars('2022-03-04', 11, 250, '2017-01-03'));
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, csvDir, tickers: ['AAPL', 'MSFT'] });
    mailer = new NodemailerMailer({ host: '127.0.0.1', port: 1, secure: false, from: 'x <x@localhost>' });
    api = buildApi({
      config: { ...config, api: { ...config.api, apiKey: API_KEY } },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
      temporal: TemporalGateway.fromConfig(env.client, config),
      playground: {
        bars: new PostgresPriceRepository(t.db),
        sweeps: new PostgresSweepRepository(t.db),
        recommendations: new PostgresRecommendationRepository(t.db),
      },
      webApp: false,
    });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    worker = await startTestWorker(env, config);
    ingestId = 'ingest-research-runs';
    await env.client.workflow.execute(ingestPricesWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: ingestId,
      args: [{ provider: 'csv', csvDir, tickers: ['AAPL', 'MSFT'], asOf: '2022-03-04' }],
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    mailer?.close();
    await t?.destroy();
    await env?.teardown();
  });

  async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = ADMIN) {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  it('POST /sweeps starts a sweep (admin, checked first); GET /sweeps/{id} pages its rows; other workflow ids are 404', async () => {
    expect(
      (
        await call(
          'POST',
          '/sweeps',
          { strategy: 'sma_cross', grid: 'fast=5..10:5' },
          { 'content-type': 'application/json' },
        )
      ).status,
    ).toBe(401);
    const bad = await call('POST', '/sweeps', { strategy: 'sma_cross', grid: 'moon=1..2' });
    expect(bad).toMatchObject({ status: 400, body: { field: 'grid' } });

    const started = await call('POST', '/sweeps', {
      strategy: 'sma_cross',
      grid: 'fast=5..10:5',
      tickers: ['aapl', 'MSFT'],
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      id: expect.stringMatching(/^sweep-sma_cross-[0-9a-f]{8}$/),
      status: 'running',
      links: { self: `/sweeps/${started.body.id}` },
    });
    await env.client.workflow.getHandle(started.body.id).result();

    const first = await call('GET', `/sweeps/${started.body.id}?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: started.body.id,
      status: 'completed',
      sweep: { strategy: 'sma_cross', combos: 2, tickers: 2 },
    });
    expect(
      first.body.items.map((r: { ticker: string; params: { fast: number } }) => [r.ticker, r.params.fast]),
    ).toEqual([
      ['AAPL', 5],
      ['AAPL', 10],
      ['MSFT', 5],
    ]);
    const second = await call('GET', `/sweeps/${started.body.id}?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ nextCursor: null, items: [{ ticker: 'MSFT', params: { fast: 10 } }] });

    expect((await call('GET', `/sweeps/${ingestId}`)).status).toBe(404);
    expect((await call('GET', '/sweeps/sweep-never-was')).status).toBe(404);
  });

  it('POST /recommendations starts a walk-forward run; GET /recommendations/runs/{id} reads it, GET /recommendations the current ones, paged', async () => {
    expect((await call('POST', '/recommendations', { strategies: ['moon'] })).status).toBe(400);
    expect((await call('POST', '/recommendations', {}, { 'content-type': 'application/json' })).status).toBe(401);
    const started = await call('POST', '/recommendations', {
      tickers: ['AAPL', 'MSFT'],
      strategies: ['sma_cross', 'macd_cross'],
    });
    expect(started.status).toBe(202);
    expect(started.body.id).toMatch(/^recommend-[0-9a-f]{8}$/);
    await env.client.workflow.getHandle(started.body.id).result();

    const run = await call('GET', `/recommendations/runs/${started.body.id}`);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ id: started.body.id, status: 'completed' });
    expect(run.body.tickers.map((x: { ticker: string; status: string }) => [x.ticker, x.status])).toEqual([
      ['AAPL', 'ok'],
      ['MSFT', 'ok'],
    ]);
    expect((await call('GET', `/recommendations/runs/${ingestId}`)).status).toBe(404);

    const page1 = await call('GET', '/recommendations?limit=1', undefined, {});
    expect(page1.status).toBe(200);
    expect(page1.body.items).toEqual([
      expect.objectContaining({ ticker: 'AAPL', runId: started.body.id, asOf: '2022-03-04' }),
    ]);
    const page2 = await call('GET', `/recommendations?limit=1&cursor=${page1.body.nextCursor}`, undefined, {});
    expect(page2.body).toMatchObject({ nextCursor: null, items: [{ ticker: 'MSFT' }] });
    expect(
      (await call('GET', '/recommendations?ticker=msft', undefined, {})).body.items.map(
        (r: { ticker: string }) => r.ticker,
      ),
    ).toEqual(['MSFT']);
  });
});
