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
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSweepRepository } from '../../src/adapters/postgres/postgres-sweep.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import type { BacktestSummary } from '../../src/domain/backtest/backtest-record';
import type { RecommendationEvidence } from '../../src/domain/ports';
import { buildApi } from '../../src/api/build-api';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import type { SweepResult } from '../../src/workflows/sweep.workflow';
import type { RecommendResult } from '../../src/workflows/recommend.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { loadSp500 } from '../unit/sp500-bars';

// See api.test.ts: swagger-ui's @fastify/static requires an ESM-only module jest cannot load; never used here.
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const TICKERS = ['AAPL', 'MSFT'];
const STARTS_PER_MINUTE = 6;

describe('playground, sweep heatmap and walk-forward folds endpoints over real HTTP, Temporal and Postgres', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let reportsDir: string;
  let app: FastifyInstance;
  let baseUrl: string;
  let prices: PostgresPriceRepository;
  /** Starts the playground counted against the limit. */
  let starts = 0;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-playground-reports-'));
    config.backtests.reports.dir = reportsDir;
    prices = new PostgresPriceRepository(t.db);
    await prices.startRun({ runId: 'load', asOf: '2018-02-07', provider: 'csv', tickers: TICKERS });
    for (const ticker of TICKERS)
      await prices.saveIngestion({ runId: 'load', ticker, bars: loadSp500(ticker), rejected: [] });

    app = buildApi({
      config: {
        tickers: TICKERS,
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: 'test-admin-key-123',
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
      temporal: TemporalGateway.fromConfig(env.client, config),
      playground: {
        bars: prices,
        sweeps: new PostgresSweepRepository(t.db),
        recommendations: new PostgresRecommendationRepository(t.db),
        startsPerMinute: STARTS_PER_MINUTE,
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
    await env?.teardown();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  const get = (url: string) => fetch(`${baseUrl}${url}`);
  const start = (body: unknown) =>
    fetch(`${baseUrl}/playground/backtests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const execute = <T>(workflow: string, input: unknown, id: string) =>
    withTestWorker(
      env,
      config,
      () =>
        env.client.workflow.execute(workflow, {
          taskQueue: config.temporal.taskQueue,
          workflowId: id,
          args: [input],
        }) as Promise<T>,
    );

  it.each<[string, unknown, number, string, RegExp]>([
    [
      'a bad parameter',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { fast: 30, slow: 20 } },
      400,
      'params.fast',
      /bad parameter fast for strategy sma_cross: must be less than slow/,
    ],
    [
      'an unknown parameter',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { speed: 3 } },
      400,
      'params.speed',
      /unknown parameter speed/,
    ],
    [
      'a string parameter',
      { ticker: 'AAPL', strategy: 'sma_cross', params: { fast: 'ten' } },
      400,
      'params.fast',
      /^Parameter fast must be a number\.$/,
    ],
    [
      'a bad date',
      { ticker: 'AAPL', strategy: 'sma_cross', from: '2015-02-30' },
      400,
      'from',
      /^from: "2015-02-30" is not a valid date/,
    ],
    [
      'dates in the wrong order',
      { ticker: 'AAPL', strategy: 'sma_cross', from: '2016-01-04', to: '2015-01-02' },
      400,
      'from',
      /from 2016-01-04 is after to 2015-01-02/,
    ],
    [
      'a date outside the data',
      { ticker: 'AAPL', strategy: 'sma_cross', to: '2019-01-02' },
      400,
      'to',
      /to 2019-01-02 is outside the stored data of AAPL/,
    ],
    [
      'a negative capital',
      { ticker: 'AAPL', strategy: 'sma_cross', capital: -5 },
      400,
      'capital',
      /^capital must be a positive number \(got -5\)/,
    ],
    ['an unknown field', { ticker: 'AAPL', strategy: 'sma_cross', fees: 3 }, 400, 'fees', /fees/],
    [
      'an unknown strategy',
      { ticker: 'AAPL', strategy: 'moon_phase' },
      400,
      'strategy',
      /unknown strategy "moon_phase"/,
    ],
    ['an unknown ticker', { ticker: 'ZZZZ', strategy: 'sma_cross' }, 404, 'ticker', /unknown ticker ZZZZ/],
  ])(
    'POST /playground/backtests answers %s with the field at fault, starting nothing',
    async (_label, body, status, field, message) => {
      const res = await start(body);
      expect(res.status).toBe(status);
      const error = (await res.json()) as { message: string; field: string };
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    },
  );

  it('starts a backtest without the key, reports its progress while queued, then serves it in chart shape', async () => {
    const res = await start({
      ticker: 'aapl',
      strategy: 'sma_cross',
      params: { fast: 10, slow: 30 },
      from: '2015-01-02',
      to: '2016-12-30',
      capital: 10_000,
      feesBps: 5,
      slippageBps: 2,
    });
    starts += 1;
    expect(res.status).toBe(202);
    const started = (await res.json()) as { id: string; links: { self: string; chart: string } };
    expect(started.id).toMatch(/^backtest-AAPL-sma_cross-[0-9a-f]{32}$/);
    expect(started.links.chart).toBe(`/backtests/${started.id}/chart`);

    // No worker yet: the run waits on its task queue, and says so.
    const queued = await get(`/backtests/${started.id}`);
    expect(queued.status).toBe(202);
    expect(await queued.json()).toEqual({
      id: started.id,
      status: 'running',
      progress: { stage: 'queued', step: null, attempt: 1, waitingForWorker: true, lastError: null, percent: 0 },
    });
    expect((await get(`/backtests/${started.id}/chart`)).status).toBe(404);

    const summary = (await withTestWorker(env, config, () =>
      env.client.workflow.getHandle(started.id).result(),
    )) as BacktestSummary;
    const chartRes = await get(`/backtests/${started.id}/chart`);
    expect(chartRes.status).toBe(200);
    const chart = (await chartRes.json()) as {
      equity: Array<{ time: string; value: number }>;
      buyAndHold: Array<{ time: string; value: number }>;
      bars: Array<{ time: string; open: number; close: number }>;
      trades: Array<{ time: string; side: string; price: number; initial: boolean }>;
      finalCapital: number;
      returnPct: number;
      buyAndHoldReturnPct: number;
      params: Record<string, number>;
      metrics: Record<string, number | null>;
      options: Record<string, unknown>;
    };
    expect(chart).toMatchObject({
      finalCapital: summary.finalCapital,
      returnPct: summary.returnPct,
      params: { fast: 10, slow: 30, trend: 50 },
      options: { commissionBps: 5, slippageBps: 2 },
    });
    expect(chart.metrics).toEqual(summary.metrics);
    const bars = await prices.bars('AAPL', { from: '2015-01-02', to: '2016-12-30' });
    expect(chart.bars.map((b) => b.time)).toEqual(bars.map((b) => b.date));
    expect(chart.equity.map((p) => p.time)).toEqual(bars.map((b) => b.date));
    expect(chart.equity[chart.equity.length - 1].value).toBe(summary.finalCapital);
    expect(chart.buyAndHold[0].value).toBeCloseTo(10_000, 9);
    const held = (10_000 * bars[bars.length - 1].close) / bars[0].close;
    expect(chart.buyAndHold[chart.buyAndHold.length - 1].value).toBeCloseTo(held, 6);
    expect(chart.metrics.buyAndHoldReturnPct).toBeCloseTo((held / 10_000 - 1) * 100, 9);
    // Every fill, the first-day purchase flagged, on a day of the price chart.
    const fills = [
      ...(summary.initialPosition ? [{ ...summary.initialPosition, initial: true }] : []),
      ...summary.trades.map((x) => ({ ...x, initial: false })),
    ];
    expect(summary.orders).toBeGreaterThan(2);
    expect(chart.trades.map(({ time, side, price, initial }) => ({ date: time, side, price, initial }))).toEqual(
      fills.map(({ date, side, price, initial }) => ({ date, side, price, initial })),
    );
    const days = new Set(chart.bars.map((b) => b.time));
    expect(chart.trades.every((x) => days.has(x.time))).toBe(true);

    // The strategy's own lines over the price, with the backtest's parameters, defined from the first day (history before it feeds them).
    const overlays = (
      chart as unknown as {
        overlays: Array<{ key: string; label: string; points: Array<{ time: string; value: number | null }> }>;
      }
    ).overlays;
    expect(overlays.map((o) => o.key)).toEqual(['sma10', 'sma30', 'sma50']);
    const all = await prices.bars('AAPL', { to: '2016-12-30' });
    const at = all.findIndex((b) => b.date === '2015-01-02');
    const mean = (n: number, i: number) => all.slice(i - n + 1, i + 1).reduce((sum, b) => sum + b.close, 0) / n;
    for (const [o, n] of [
      [overlays[0], 10],
      [overlays[1], 30],
      [overlays[2], 50],
    ] as const) {
      expect(o.points.map((p) => p.time)).toEqual(bars.map((b) => b.date));
      expect(o.points[0].value).toBeCloseTo(mean(n, at), 6);
      expect(o.points[o.points.length - 1].value).toBeCloseTo(mean(n, all.length - 1), 6);
    }
  });

  it('serves a sweep as a parameter heatmap: axes from the grid, cells the mean over tickers or one ticker’s own figures', async () => {
    const grid = 'fast=5..15:5,slow=20..40:10';
    const sweep = await execute<SweepResult>(
      'sweepWorkflow',
      { strategy: 'sma_cross', grid, tickers: TICKERS, from: '2014-01-02' },
      `sweep-heatmap-${Date.now()}`,
    );
    const rows = await new PostgresSweepRepository(t.db).sweepResults(sweep.sweepId);

    const res = await get(`/sweeps/${sweep.sweepId}/heatmap`);
    expect(res.status).toBe(200);
    type Cell = { value: number | null; params: Record<string, number>; tickers: number; returnPct: number };
    const map = (await res.json()) as {
      sweep: { strategy: string; status: string };
      tickers: string[];
      x: string;
      y: string;
      xs: number[];
      ys: number[];
      cells: Cell[][];
      best: Cell;
      varying: string[];
    };
    expect(map).toMatchObject({
      sweep: { strategy: 'sma_cross', status: 'completed' },
      tickers: TICKERS,
      x: 'fast',
      y: 'slow',
      xs: [5, 10, 15],
      ys: [20, 30, 40],
      varying: ['fast', 'slow'],
    });
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    for (const [yi, slow] of map.ys.entries()) {
      for (const [xi, fast] of map.xs.entries()) {
        const mine = rows.filter((r) => r.params.fast === fast && r.params.slow === slow);
        const cell = map.cells[yi][xi]!;
        expect(cell.tickers).toBe(2);
        expect(cell.value).toBeCloseTo(mean(mine.map((r) => r.sharpe!)), 9);
        expect(cell.returnPct).toBeCloseTo(mean(mine.map((r) => r.returnPct)), 9);
      }
    }
    const bestValue = Math.max(...map.cells.flat().map((c) => c!.value!));
    expect(map.best.value).toBe(bestValue);

    const aapl = (await (
      await get(`/sweeps/${sweep.sweepId}/heatmap?ticker=aapl&metric=returnPct&x=slow&y=fast`)
    ).json()) as typeof map;
    expect(aapl).toMatchObject({ x: 'slow', y: 'fast', xs: [20, 30, 40], ys: [5, 10, 15] });
    const row = rows.find((r) => r.ticker === 'AAPL' && r.params.fast === 10 && r.params.slow === 40)!;
    expect(aapl.cells[1][2]).toMatchObject({
      value: row.returnPct,
      tickers: 1,
      params: { fast: 10, slow: 40, trend: 50 },
    });

    const badAxis = await get(`/sweeps/${sweep.sweepId}/heatmap?x=trend`);
    expect(badAxis.status).toBe(400);
    expect(await badAxis.json()).toMatchObject({
      field: 'x',
      message: expect.stringMatching(/trend is not a parameter that varies in this sweep \(varying: fast, slow\)/),
    });
    expect(await (await get(`/sweeps/${sweep.sweepId}/heatmap?ticker=XOM`)).json()).toMatchObject({
      error: 'not_found',
      field: 'ticker',
    });
    expect((await get('/sweeps/sweep-never-was/heatmap')).status).toBe(404);

    // The list, newest first, paged by the one convention.
    await new PostgresSweepRepository(t.db).startSweep({
      id: 'sweep-later',
      strategy: 'macd_cross',
      grid: 'fast=8',
      parameterSets: [{ fast: 8, slow: 26, signal: 9 }],
      tickers: 1,
      initialCapital: 1000,
    });
    type Page = { items: Array<{ id: string; strategy: string; status: string }>; nextCursor: string | null };
    const first = (await (await get('/sweeps?limit=1')).json()) as Page;
    expect(first.items).toMatchObject([{ id: 'sweep-later', strategy: 'macd_cross', status: 'running' }]);
    const second = (await (await get(`/sweeps?limit=1&cursor=${first.nextCursor}`)).json()) as Page;
    expect(second).toMatchObject({ items: [{ id: sweep.sweepId, status: 'completed' }], nextCursor: null });
    expect(await (await get('/sweeps?cursor=garbage')).json()).toMatchObject({ error: 'bad_request', field: 'cursor' });
  });

  it("serves a ticker's walk-forward folds: windows in order, the train choice, its test result against buy-and-hold", async () => {
    const run = await execute<RecommendResult>(
      'recommendWorkflow',
      { tickers: ['AAPL'], strategies: ['sma_cross', 'macd_cross'] },
      `recommend-folds-${Date.now()}`,
    );
    const res = await get('/recommendations/aapl/folds');
    expect(res.status).toBe(200);
    type Fold = {
      trainFrom: string;
      trainTo: string;
      testFrom: string;
      testTo: string;
      params: Record<string, number> | null;
      train: { returnPct: number } | null;
      test: { returnPct: number };
      buyAndHoldReturnPct: number;
    };
    const folds = (await res.json()) as {
      ticker: string;
      runId: string;
      strategy: string | null;
      options: { trainDays: number; testDays: number };
      candidates: Array<{ strategy: string; recommended: boolean; folds: Fold[] }>;
    };
    expect(folds).toMatchObject({
      ticker: 'AAPL',
      runId: run.runId,
      strategy: run.tickers[0].strategy,
      options: { trainDays: 504, testDays: 126 },
    });
    expect(folds.candidates.map((c) => c.strategy).sort()).toEqual(['macd_cross', 'sma_cross']);
    expect(folds.candidates.filter((c) => c.recommended).map((c) => c.strategy)).toEqual(
      run.tickers[0].strategy ? [run.tickers[0].strategy] : [],
    );

    const [stored] = await new PostgresRecommendationRepository(t.db).current(['AAPL']);
    const evidence = stored.evidence as RecommendationEvidence;
    const bars = await prices.bars('AAPL');
    const closeOn = new Map(bars.map((b) => [b.date, b.close]));
    for (const candidate of folds.candidates) {
      const windows = evidence.candidates.find((c) => c.strategy === candidate.strategy)!.windows;
      expect(candidate.folds).toEqual(windows);
      expect(candidate.folds.length).toBe(evidence.windows);
      candidate.folds.forEach((f, i) => {
        expect(f.trainTo < f.testFrom).toBe(true);
        if (i > 0) expect(f.testFrom > candidate.folds[i - 1].testTo).toBe(true);
        expect(f.buyAndHoldReturnPct).toBeCloseTo((closeOn.get(f.testTo)! / closeOn.get(f.testFrom)! - 1) * 100, 9);
      });
    }
    expect(await (await get('/recommendations/MSFT/folds')).json()).toMatchObject({
      error: 'not_found',
      message: expect.stringMatching(/no recommendation for MSFT/),
    });
  });

  it('documents the routes with their response schemas in the OpenAPI spec', async () => {
    const spec = (await (await get('/docs/json')).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/playground/backtests',
        '/backtests/{id}/chart',
        '/sweeps',
        '/sweeps/{id}/heatmap',
        '/recommendations/{ticker}/folds',
      ]),
    );
    expect(spec.paths['/backtests/{id}/chart'].get.responses?.['200']).toBeDefined();
  });

  it('limits starts without the key per client: 429 with Retry-After past the allowance', async () => {
    const body = { ticker: 'AAPL', strategy: 'buy_and_hold', from: '2017-01-03' };
    while (starts < STARTS_PER_MINUTE) {
      expect((await start(body)).status).toBe(202);
      starts += 1;
    }
    const refused = await start(body);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // A bad request is still answered as such (checked before the allowance).
    expect((await start({ ...body, strategy: 'moon_phase' })).status).toBe(400);
  });
});
