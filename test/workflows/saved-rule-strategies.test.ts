import type { ChildProcess } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { FilesystemObjectStore } from '../../src/adapters/object-store/filesystem-object.store';
import { PostgresBacktestRepository } from '../../src/adapters/postgres/postgres-backtest.repository';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresResearchRepository } from '../../src/adapters/postgres/postgres-research.repository';
import { PostgresSavedStrategyRepository } from '../../src/adapters/postgres/postgres-saved-strategy.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSweepRepository } from '../../src/adapters/postgres/postgres-sweep.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import type { BacktestSummary } from '../../src/domain/backtest/backtest-record';
import { runBacktest } from '../../src/domain/backtest/engine';
import { runStrategy } from '../../src/domain/strategies';
import { ruleStrategy } from '../../src/domain/strategies/rules/rule-strategy';
import { strategyRegistry, syncSavedStrategies } from '../../src/domain/strategies/registry';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import type { SweepResult } from '../../src/workflows/sweep.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { killWorkerProcess, seedCsvDir, startWorkerProcess, workerOutput } from '../support/daily-run';
import { readMailbox, tempDir } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { testConfig } from '../support/worker';
import { loadSeedBars } from '../unit/strategies/seed-bars';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const ADMIN_KEY = 'saved-rules-admin-key-0123456789abcdef';

/** The rule a user saves: a fast/slow average cross, unless RSI(14) says overbought. */
const RULE = {
  name: 'calm_cross',
  description: 'SMA(fast) crossing SMA(slow) while RSI(14) is under 70',
  parameters: {
    fast: { default: 10, min: 2, max: 50 },
    slow: { default: 30, min: 5, max: 200 },
  },
  constraints: ['fast < slow'],
  entry: { all: ['sma(fast) crosses_above sma(slow)', 'rsi(14) < 70'] },
  exit: 'sma(fast) crosses_below sma(slow)',
};

describe('a rule strategy saved over the API runs like a built-in (real Temporal, Postgres, Redis, SMTP, a worker process)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let config: AppConfig;
  let api: FastifyInstance;
  let apiMailer: NodemailerMailer;
  let worker: ChildProcess | undefined;
  let baseUrl: string;
  let runs = 0;

  beforeAll(async () => {
    mailDir = tempDir('algo-saved-rules-mail-');
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    const csvDir = seedCsvDir();
    const reportsDir = tempDir('algo-saved-rules-reports-');
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir,
      smtpPort: sink.port,
      tickers: ['AAPL'],
    });
    config.api.apiKey = ADMIN_KEY;
    config.backtests.reports.dir = reportsDir;
    config.strategies = { default: [{ name: 'sma_cross', params: {} }], perTicker: {} };
    apiMailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: config.mail.from });
    const prices = new PostgresPriceRepository(t.db);
    api = buildApi({
      config,
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      prices,
      savedStrategies: new PostgresSavedStrategyRepository(t.db),
      mailer: apiMailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
      temporal: TemporalGateway.fromConfig(env.client, config),
      backtests: new PostgresBacktestRepository(t.db),
      reports: new FilesystemObjectStore(reportsDir),
      playground: {
        bars: prices,
        sweeps: new PostgresSweepRepository(t.db),
        recommendations: new PostgresRecommendationRepository(t.db),
      },
      research: {
        repository: new PostgresResearchRepository(t.db),
        prices,
        recommendations: new PostgresRecommendationRepository(t.db),
      },
    });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // The worker is its own process: it knows the saved rule only from Postgres.
    worker = await startWorkerProcess({
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: csvDir,
      SMTP_PORT: String(sink.port),
      ALGO_TICKERS: 'AAPL',
      REPORTS_DIR: reportsDir,
    } as Parameters<typeof startWorkerProcess>[0]);
  }, 180_000);

  afterAll(async () => {
    if (worker) await killWorkerProcess(worker, 'SIGTERM');
    await api?.close();
    apiMailer?.close();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  const post = (url: string, body: unknown, key?: string) =>
    fetch(`${baseUrl}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body: JSON.stringify(body),
    });
  const get = (url: string) => fetch(`${baseUrl}${url}`);
  const savedVersion = async (name: string) =>
    (await t.db.selectFrom('saved_rule_strategies').select('version').where('name', '=', name).executeTakeFirst())
      ?.version;

  it('saves a rule (admin), refuses a broken one at its field and a taken name, and lists it with its rule and words', async () => {
    expect((await post('/strategies', RULE)).status).toBe(401);

    const broken = await post('/strategies', { ...RULE, exit: 'smaa(fast) > close' }, ADMIN_KEY);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      field: 'exit.left',
      message: expect.stringMatching(/did you mean sma/),
    });
    const taken = await post('/strategies', { ...RULE, name: 'sma_cross' }, ADMIN_KEY);
    expect(taken.status).toBe(409);
    expect(await savedVersion('sma_cross')).toBeUndefined();

    const created = await post('/strategies', RULE, ADMIN_KEY);
    expect(created.status).toBe(201);
    const version = ruleStrategy(RULE).version;
    expect(await created.json()).toMatchObject({ name: RULE.name, version, origin: 'saved' });
    expect(await savedVersion(RULE.name)).toBe(version);
    // The same definition again: replaced by itself, same version.
    const again = await post('/strategies', RULE, ADMIN_KEY);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ version });

    const listed = (await (await get('/strategies')).json()) as {
      strategies: Array<{ name: string; origin: string; rule?: typeof RULE; rules: string; paramsSchema: object }>;
    };
    const origins = Object.fromEntries(listed.strategies.map((s) => [s.name, s.origin]));
    expect(origins).toMatchObject({ sma_cross: 'built-in', [RULE.name]: 'saved' });
    const saved = listed.strategies.find((s) => s.name === RULE.name)!;
    expect(saved.rule).toMatchObject({ entry: RULE.entry, exit: RULE.exit, parameters: RULE.parameters });
    expect(saved.rules).toBe(ruleStrategy(RULE).rules({ fast: 10, slow: 30 }));
    expect(saved.paramsSchema).toMatchObject({ properties: { fast: { minimum: 2, maximum: 50, default: 10 } } });
  });

  it('a daily run emails the BUY of the saved rule to a subscriber of it, recorded with its version', async () => {
    // This process forgets the rule: the worker and the API must find it in Postgres.
    syncSavedStrategies([]);
    expect(strategyRegistry.has(RULE.name)).toBe(false);

    // The public subscribe form accepts the saved rule's name (a pending subscription, confirmed by email) ...
    const pending = await post('/subscriptions', {
      email: 'pending@example.com',
      subscriptions: [{ ticker: 'AAPL', strategies: [RULE.name] }],
    });
    expect(pending.status).toBe(202);
    // ... and a confirmed subscriber follows it.
    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'rule-fan@example.com',
      subscriptions: [{ ticker: 'AAPL', strategy: RULE.name }],
      confirmed: true,
    });

    // The day to run: the rule's last BUY in the seed file, found by replaying it here.
    const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
    const buys = runStrategy(ruleStrategy(RULE), {}, bars).records.filter((r) => r.signal === 'BUY');
    expect(buys.length).toBeGreaterThan(0);
    const date = buys[buys.length - 1].date;

    const result = (await env.client.workflow.execute('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `daily-saved-rule-${date}-${++runs}`,
      args: [{ date } satisfies DailyRunInput],
    })) as DailyRunResult;
    expect(result).toMatchObject({ date });

    const recorded = await t.db
      .selectFrom('signals')
      .select(['signal', 'strategy_version'])
      .where('strategy', '=', RULE.name)
      .where('date', '=', date)
      .executeTakeFirstOrThrow();
    expect(recorded).toEqual({ signal: 'BUY', strategy_version: ruleStrategy(RULE).version });
    const mail = (await readMailbox(mailDir)).filter((m) => m.to === 'rule-fan@example.com');
    expect(mail.map((m) => m.subject)).toEqual([`BUY AAPL (${RULE.name}) on ${date}`]);

    // Its "why" page: the rule in words, the value of every operand on that day, the chart's indicators.
    syncSavedStrategies([]);
    const why = (await (await get(`/signals/AAPL/${RULE.name}/${date}`)).json()) as {
      signal: { inputs: Record<string, number | null> };
      strategy: { rules: string };
      chart: { overlays: Array<{ key: string }>; panes: Array<{ lines: Array<{ key: string }> }> };
    };
    const here = runStrategy(ruleStrategy(RULE), {}, bars).records.find((r) => r.date === date)!;
    expect(why.strategy.rules).toBe(ruleStrategy(RULE).rules({ fast: 10, slow: 30 }));
    expect(Object.keys(why.signal.inputs).sort()).toEqual(['close', 'rsi(14)', 'sma(10)', 'sma(30)']);
    for (const key of ['sma(10)', 'sma(30)', 'rsi(14)'])
      expect(why.signal.inputs[key]).toBeCloseTo(here.inputs[key] as number, 9);
    const drawn = [...why.chart.overlays, ...why.chart.panes.flatMap((p) => p.lines)].map((l) => l.key).sort();
    expect(drawn).toEqual(['rsi(14)', 'sma(10)', 'sma(30)']);
    const chart = (await (await get(`/tickers/AAPL/chart?strategy=${RULE.name}&to=${date}`)).json()) as {
      indicators: Record<string, unknown>;
    };
    expect(Object.keys(chart.indicators)).toEqual(expect.arrayContaining(drawn));
  }, 300_000);

  it('a changed definition gets a new version; the recorded signals keep theirs', async () => {
    const before = ruleStrategy(RULE).version;
    const changed = { ...RULE, parameters: { ...RULE.parameters, slow: { default: 40, min: 5, max: 200 } } };
    const res = await post('/strategies', changed, ADMIN_KEY);
    expect(res.status).toBe(200);
    const { version } = (await res.json()) as { version: number };
    expect(version).toBe(ruleStrategy(changed).version);
    expect(version).not.toBe(before);
    const versions = await t.db
      .selectFrom('signals')
      .select('strategy_version')
      .distinct()
      .where('strategy', '=', RULE.name)
      .execute();
    expect(versions).toEqual([{ strategy_version: before }]);
    // Back to the first definition for the backtest and the sweep below.
    expect((await post('/strategies', RULE, ADMIN_KEY)).status).toBe(200);
  });

  it('backtests it from the playground and sweeps it, with the figures of the rule run here', async () => {
    syncSavedStrategies([]);
    const bars = await new PostgresPriceRepository(t.db).bars('AAPL');
    const from = '2008-01-02';

    const started = await post('/playground/backtests', { ticker: 'AAPL', strategy: RULE.name, from });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const summary = (await env.client.workflow.getHandle(id).result()) as BacktestSummary;
    const here = runBacktest({ bars, strategy: ruleStrategy(RULE), startDate: from });
    expect(summary).toMatchObject({
      strategy: RULE.name,
      finalCapital: here.finalCapital,
      orders: here.orders,
    });
    expect(here.orders).toBeGreaterThan(0);

    const sweep = await post('/sweeps', { strategy: RULE.name, grid: 'fast=5..15:5', tickers: ['AAPL'] }, ADMIN_KEY);
    expect(sweep.status).toBe(202);
    const sweepId = ((await sweep.json()) as { id: string }).id;
    const swept = (await env.client.workflow.getHandle(sweepId).result()) as SweepResult;
    expect(swept).toMatchObject({ strategy: RULE.name, combos: 3, backtests: 3 });
    const rows = await t.db
      .selectFrom('sweep_results')
      .select(['combo', 'final_capital'])
      .where('sweep_id', '=', sweepId)
      .orderBy('combo')
      .execute();
    const expected = [5, 10, 15].map((fast) => runBacktest({ bars, strategy: ruleStrategy(RULE), params: { fast } }));
    expect(rows.map((r) => r.final_capital)).toEqual(expected.map((r) => r.finalCapital));
  }, 300_000);

  afterAll(() => {
    if (worker && process.env.DEBUG_WORKER) process.stdout.write(workerOutput(worker));
  });
});
