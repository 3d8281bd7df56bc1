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
import type { BacktestSummary } from '../../src/domain/backtest/backtest-record';
import { buildApi } from '../../src/api/build-api';
import { renderBacktest } from '../../src/cli/commands/backtest.command';
import { formatMetrics, formatMetricValue } from '../../src/reports/metric-format';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { loadSeedBars } from '../unit/strategies/seed-bars';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition@3, which jest's CommonJS
// runtime cannot load; it is only used by reply.download(), which the API never calls (see api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'test-admin-key-123';
const ADMIN = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

describe('backtest API over real HTTP, Temporal, Postgres and the filesystem report store', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let reportsDir: string;
  let app: FastifyInstance;
  let baseUrl: string;
  /** Workflows the API started. */
  const startedIds: string[] = [];

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-api-reports-'));
    config.backtests.reports.dir = reportsDir;
    // AAPL 2004-2010 (the old backtester's file), written as an ingestion run would.
    const prices = new PostgresPriceRepository(t.db);
    await prices.startRun({ runId: 'seed', asOf: '2010-12-31', provider: 'csv', tickers: ['AAPL'] });
    await prices.saveIngestion({
      runId: 'seed',
      ticker: 'AAPL',
      bars: loadSeedBars('AAPL_2004-01-02_2010-12-31.csv').bars,
      rejected: [],
    });

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
      mailer: new NodemailerMailer({
        host: '127.0.0.1',
        port: 1,
        secure: false,
        from: 'Algo Signals <signals@localhost>',
      }),
      signer: new HmacTokenSigner('x'.repeat(32)),
      backtests: new PostgresBacktestRepository(t.db),
      reports: new FilesystemObjectStore(reportsDir),
      temporal: (() => {
        const gateway = TemporalGateway.fromConfig(env.client, config);
        const start = gateway.start.bind(gateway);
        gateway.start = ((workflow, id, ...args) => (
          startedIds.push(id),
          start(workflow, id, ...args)
        )) as typeof gateway.start;
        return gateway;
      })(),
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

  const post = (body: unknown, headers: Record<string, string> = ADMIN) =>
    fetch(`${baseUrl}/backtests`, { method: 'POST', headers, body: JSON.stringify(body) });
  const get = (url: string) => fetch(`${baseUrl}${url}`);

  it('POST /backtests needs the API key', async () => {
    const res = await post({ ticker: 'AAPL', strategy: 'sma_cross' }, { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    const wrong = await post({ ticker: 'AAPL', strategy: 'sma_cross' }, { ...ADMIN, 'x-api-key': 'wrong-key-123' });
    expect(wrong.status).toBe(401);
    expect(startedIds).toEqual([]);
  });

  it.each<[string, unknown, number, RegExp]>([
    [
      'an unknown field',
      { ticker: 'AAPL', strategy: 'sma_cross', fees: 3 },
      400,
      /^The request has an unknown field: fees\.$/,
    ],
    [
      'a bad date',
      { ticker: 'AAPL', strategy: 'sma_cross', from: '2005-02-30' },
      400,
      /from: "2005-02-30" is not a valid date/,
    ],
    [
      'an unknown strategy',
      { ticker: 'AAPL', strategy: 'moon_phase' },
      400,
      /unknown strategy "moon_phase" \(known: sma_cross, macd_cross/,
    ],
    [
      'a bad parameter',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { fast: 0 } },
      400,
      /bad parameter fast for strategy sma_cross/,
    ],
    [
      'a string parameter',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { fast: 'ten' } },
      400,
      /^Parameter fast must be a number\.$/,
    ],
    [
      'a date outside the stored data',
      { ticker: 'AAPL', strategy: 'sma_cross', to: '2011-06-01' },
      400,
      /to 2011-06-01 is outside the stored data of AAPL \(2004-01-02 to 2010-12-31\)/,
    ],
    [
      'a negative slippage',
      { ticker: 'AAPL', strategy: 'sma_cross', slippageBps: -1 },
      400,
      /slippageBps must be a number >= 0 \(got -1\)/,
    ],
    ['an unknown ticker', { ticker: 'ZZZZ', strategy: 'sma_cross' }, 404, /unknown ticker ZZZZ/],
  ])('POST /backtests rejects %s before starting anything', async (_label, body, status, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
    expect(startedIds).toEqual([]);
  });

  it('POST starts the workflow (202 with its id); GET answers 202 while it runs, then 200 with the persisted result; the report is served', async () => {
    const res = await post({ ticker: 'aapl', strategy: 'sma_cross', from: '2005-04-01', to: '2005-06-03' });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { id: string; status: string; links: { self: string; report: string } };
    expect(started).toMatchObject({
      status: 'running',
      links: { self: `/backtests/${started.id}`, report: `/backtests/${started.id}/report` },
    });
    expect(started.id).toMatch(/^backtest-AAPL-sma_cross-[0-9a-f]{32}$/);
    expect(startedIds).toEqual([started.id]);

    // No worker yet: the run waits on the task queue.
    const running = await get(`/backtests/${started.id}`);
    expect(running.status).toBe(202);
    expect(await running.json()).toEqual({
      id: started.id,
      status: 'running',
      progress: expect.objectContaining({ stage: 'queued', waitingForWorker: true }),
    });
    expect((await get(`/backtests/${started.id}/report`)).status).toBe(404);

    const result = (await withTestWorker(env, config, () =>
      env.client.workflow.getHandle(started.id).result(),
    )) as BacktestSummary;
    expect(result.returnPct).toBe(-12.36);

    const done = await get(`/backtests/${started.id}`);
    expect(done.status).toBe(200);
    const body = (await done.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ...result,
      status: 'completed',
      strategyVersion: 1,
      fees: 0,
      // The report's link, never the server's path of it (issue 18.6).
      report: `/backtests/${started.id}/report`,
      reportHref: `/backtests/${started.id}/report`,
    });
    expect(JSON.stringify(body)).not.toContain(reportsDir);
    expect(body.equityCurve).toBeUndefined();

    const withCurve = (await (await get(`/backtests/${started.id}?equity=true`)).json()) as {
      equityCurve: { dates: string[]; equity: number[] };
    };
    expect(withCurve.equityCurve.dates[0]).toBe('2005-04-01');
    expect(withCurve.equityCurve.dates[withCurve.equityCurve.dates.length - 1]).toBe('2005-06-03');
    expect(withCurve.equityCurve.equity[withCurve.equityCurve.equity.length - 1]).toBe(result.finalCapital);

    const report = await get(`/backtests/${started.id}/report`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(report.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await report.text();
    expect(html).toBe(fs.readFileSync(result.report, 'utf8'));
    expect(html).toContain('<svg');
  });

  it('one summary: the headline, the metrics table, the HTML report and the API JSON show the same return, drawdown and counts', async () => {
    // Fees on a strategy that starts open: the first day's equity is below the capital (where the two returns used to part).
    const res = await post({
      ticker: 'AAPL',
      strategy: 'sma_cross',
      from: '2005-04-01',
      to: '2006-12-29',
      feesBps: 25,
    });
    const { id } = (await res.json()) as { id: string };
    await withTestWorker(env, config, () => env.client.workflow.getHandle(id).result());
    const json = (await (await get(`/backtests/${id}`)).json()) as BacktestSummary;
    const html = await (await get(`/backtests/${id}/report`)).text();
    const headline = renderBacktest(json);
    expect(json.metrics.totalReturnPct).toBe(json.returnPct);
    expect(json.metrics.roundTrips).toBe(json.roundTrips);
    expect(json.metrics.maxDrawdownPct).toBeGreaterThan(0);
    expect(json.orders).toBeGreaterThan(json.roundTrips);

    const value = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(headline)?.[1];
    const card = (label: string) =>
      new RegExp(`data-headline="${label}"><div class="label">[^<]*</div><div class="value[^"]*">([^<]*)<`).exec(
        html,
      )?.[1];
    const row = (key: string) =>
      new RegExp(`data-metric="${key}"><td class="label">[^<]*</td><td class="num[^"]*">([^<]*)<`).exec(html)?.[1];
    const table = Object.fromEntries(formatMetrics(json).map((r) => [r.key, r.value]));
    const shown = {
      return: formatMetricValue('signedPct', json.returnPct),
      drawdown: formatMetricValue('pct', json.metrics.maxDrawdownPct),
      orders: String(json.orders),
      roundTrips: String(json.roundTrips),
    };
    expect(shown.drawdown).not.toMatch(/^[-+]/);
    expect({
      return: value('Return'),
      drawdown: value('Max drawdown'),
      orders: value('Orders'),
      roundTrips: value('Round trips'),
    }).toEqual(shown);
    expect({
      return: card('Return'),
      drawdown: card('Max drawdown'),
      orders: card('Orders'),
      roundTrips: card('Round trips'),
    }).toEqual(shown);
    expect({
      return: row('totalReturnPct'),
      drawdown: row('maxDrawdownPct'),
      orders: row('orders'),
      roundTrips: row('roundTrips'),
    }).toEqual(shown);
    expect({
      return: table.totalReturnPct,
      drawdown: table.maxDrawdownPct,
      orders: table.orders,
      roundTrips: table.roundTrips,
    }).toEqual(shown);
  });

  it('GET /backtests/{id} reports a failed run with its reason, 404 for an unknown id', async () => {
    const id = `backtest-failing-${Date.now()}`;
    // Started past the API's own checks (as a CLI from elsewhere could): the workflow's check fails it.
    const handle = await env.client.workflow.start('backtestWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: id,
      args: [{ ticker: 'AAPL', strategy: 'moon_phase' }],
    });
    await withTestWorker(env, config, () => handle.result().catch(() => undefined));
    const failed = await get(`/backtests/${id}`);
    expect(failed.status).toBe(200);
    const body = (await failed.json()) as { status: string; error: string };
    expect(body.status).toBe('failed');
    expect(body.error).toMatch(/unknown strategy "moon_phase"/);

    expect((await get('/backtests/backtest-never-was')).status).toBe(404);
    expect((await get('/backtests/backtest-never-was/report')).status).toBe(404);
    expect((await get('/backtests/..%2Fetc/report')).status).toBe(400);
  });

  it("GET /backtests/{id} shows only backtest workflows: another workflow's id is a 404", async () => {
    const id = `daily-not-a-backtest-${Date.now()}`;
    // No worker: it stays running, which a backtest of that id would report as 202.
    const handle = await env.client.workflow.start('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: id,
      args: [{ date: '2010-12-31' }],
    });
    try {
      const res = await get(`/backtests/${id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found', message: `no backtest ${id}` });
    } finally {
      await handle.terminate();
    }
  });

  it('documents the routes in the OpenAPI spec', async () => {
    const spec = (await (await get('/docs/json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/backtests', '/backtests/{id}', '/backtests/{id}/report']),
    );
  });
});
