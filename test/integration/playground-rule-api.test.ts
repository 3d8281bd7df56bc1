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
import { PostgresSavedStrategyRepository } from '../../src/adapters/postgres/postgres-saved-strategy.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSweepRepository } from '../../src/adapters/postgres/postgres-sweep.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import type { BacktestSummary } from '../../src/domain/backtest/backtest-record';
import { syncSavedStrategies } from '../../src/domain/strategies/registry';
import { ruleStrategy } from '../../src/domain/strategies/rules/rule-strategy';
import { CROSS_DOWN, CROSS_UP } from '../../src/domain/strategies/strategy';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { loadSp500 } from '../unit/sp500-bars';

// See api.test.ts: swagger-ui's @fastify/static requires an ESM-only module jest cannot load; never used here.
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

/** The name of a rule the compiler below turns into one that reads tomorrow's close. */
const PEEKING = 'peeks_tomorrow';

// The rule language cannot express a peek (every operand is causal by construction), so the one
// deliberately wrong rule is a domain fake: the real compiler's strategy with its events taken from
// the next day's close. Everything else (API, look-ahead gate, Temporal, Postgres) is real.
jest.mock('../../src/domain/strategies/rules/rule-strategy', () => {
  const actual = jest.requireActual<typeof import('../../src/domain/strategies/rules/rule-strategy')>(
    '../../src/domain/strategies/rules/rule-strategy',
  );
  return {
    ...actual,
    ruleStrategy(raw: unknown) {
      const strategy = actual.ruleStrategy(raw);
      if (strategy.name !== PEEKING) return strategy;
      return {
        ...strategy,
        prepare(...args: Parameters<typeof strategy.prepare>) {
          const prepared = strategy.prepare(...args);
          const close = prepared.series.close;
          for (let i = 1; i < close.length; i++)
            prepared.events[i] = close[i + 1] > close[i] ? CROSS_UP : close[i + 1] < close[i] ? CROSS_DOWN : 0;
          return prepared;
        },
      };
    },
  };
});

const ADMIN_KEY = 'playground-rule-admin-key-0123456789';

/** The rule builder's kind of rule: parameters, a constraint, an `all` entry. */
const RULE = {
  name: 'calm_cross',
  description: 'SMA(fast) crossing SMA(slow) while RSI(14) is under 70',
  parameters: { fast: { default: 10, min: 2, max: 50 }, slow: { default: 30, min: 5, max: 200 } },
  constraints: ['fast < slow'],
  entry: { all: ['sma(fast) crosses_above sma(slow)', 'rsi(14) < 70'] },
  exit: 'sma(fast) crosses_below sma(slow)',
};

const WINDOW = { ticker: 'AAPL', from: '2014-01-02', to: '2017-12-29', capital: 10_000, feesBps: 5 };

describe('POST /playground/backtests with an unsaved rule over real HTTP, Temporal and Postgres', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let reportsDir: string;
  let app: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    [env, t] = await Promise.all([startTestTemporal(), createTestDatabase()]);
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address });
    reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-playground-rule-reports-'));
    config.backtests.reports.dir = reportsDir;
    const prices = new PostgresPriceRepository(t.db);
    await prices.startRun({ runId: 'load', asOf: '2018-02-07', provider: 'csv', tickers: ['AAPL'] });
    await prices.saveIngestion({ runId: 'load', ticker: 'AAPL', bars: loadSp500('AAPL'), rejected: [] });

    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: ADMIN_KEY,
          publicUrl: 'http://127.0.0.1:8000',
          tokenSecrets: ['x'.repeat(32)],
        },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      savedStrategies: new PostgresSavedStrategyRepository(t.db),
      mailer: new NodemailerMailer({ host: '127.0.0.1', port: 1, secure: false, from: 'a <a@localhost>' }),
      signer: new HmacTokenSigner('x'.repeat(32)),
      backtests: new PostgresBacktestRepository(t.db),
      reports: new FilesystemObjectStore(reportsDir),
      temporal: TemporalGateway.fromConfig(env.client, config),
      playground: {
        bars: prices,
        sweeps: new PostgresSweepRepository(t.db),
        recommendations: new PostgresRecommendationRepository(t.db),
      },
      webApp: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    syncSavedStrategies([]);
    await t?.destroy();
    await env?.teardown();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  const get = (url: string) => fetch(`${baseUrl}${url}`);
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  /** Start a playground backtest (no key) and wait for it with a worker. */
  const backtest = async (body: unknown) => {
    const res = await post('/playground/backtests', body);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const summary = (await withTestWorker(env, config, () =>
      env.client.workflow.getHandle(id).result(),
    )) as BacktestSummary;
    const chart = (await (await get(`/backtests/${id}/chart`)).json()) as Record<string, unknown> & {
      overlays: Array<{ key: string; points: unknown[] }>;
    };
    return { id, summary, chart };
  };
  const backtestCount = async () =>
    Number(
      (
        await t.db
          .selectFrom('backtests')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('backtests an inline rule without the key exactly as the same rule saved and backtested by name', async () => {
    const inline = await backtest({ ...WINDOW, rule: RULE, params: { fast: 12 } });
    expect(inline.id).toMatch(/^backtest-AAPL-calm_cross-[0-9a-f]{32}$/);
    // Nothing was saved or registered by the inline run.
    expect(await t.db.selectFrom('saved_rule_strategies').selectAll().execute()).toEqual([]);
    expect((await post('/playground/backtests', { ...WINDOW, strategy: RULE.name })).status).toBe(400);

    expect((await post('/strategies', RULE, { 'x-api-key': ADMIN_KEY })).status).toBe(201);
    const saved = await backtest({ ...WINDOW, strategy: RULE.name, params: { fast: 12 } });

    // Everything but the id and the report's link (which holds the id).
    const figures = (summary: BacktestSummary) => ({ ...summary, id: undefined, report: undefined });
    expect(figures(inline.summary)).toEqual(figures(saved.summary));
    expect(inline.summary.orders).toBeGreaterThan(2);
    expect(inline.summary.params).toEqual({ fast: 12, slow: 30 });

    // The stored backtest keeps the rule: its chart (the shareable link's page) shows it, in words, and draws it.
    const words = ruleStrategy(RULE).rules({ fast: 12, slow: 30 });
    expect(inline.chart.rule).toMatchObject(RULE);
    expect(inline.chart.rules).toBe(words);
    expect(saved.chart.rules).toBe(words);
    expect(saved.chart.rule).toBeUndefined();
    expect(inline.chart.overlays.map((o) => o.key)).toEqual(saved.chart.overlays.map((o) => o.key));
    expect(inline.chart.overlays.length).toBeGreaterThan(0);
    expect(inline.chart.overlays).toEqual(saved.chart.overlays);
    const row = await t.db.selectFrom('backtests').select('rule').where('id', '=', inline.id).executeTakeFirstOrThrow();
    expect(row.rule).toMatchObject(RULE);
  }, 240_000);

  it.each<[string, unknown, string, RegExp]>([
    [
      'an unknown indicator',
      { ...RULE, exit: 'smaa(fast) crosses_below sma(slow)' },
      'rule.exit.left',
      /^rule\.exit\.left: unknown indicator "smaa" \(did you mean sma\?\)/,
    ],
    [
      'a parameter outside its range',
      { ...RULE, parameters: { ...RULE.parameters, fast: { default: 1, min: 2, max: 50 } } },
      'rule.parameters.fast',
      /min <= default <= max/,
    ],
    ['a name that is not one', { ...RULE, name: 'Calm Cross' }, 'rule.name', /lower case letters/],
    [
      'a name too long for a backtest id',
      { ...RULE, name: `calm_cross_${'x'.repeat(30)}` },
      'rule.name',
      /^rule\.name: at most 40 characters for a backtest \(got 41\)/,
    ],
  ])('refuses a rule with %s: 400 naming the field, nothing started', async (_label, rule, field, message) => {
    const before = await backtestCount();
    const res = await post('/playground/backtests', { ...WINDOW, rule });
    expect(res.status).toBe(400);
    const error = (await res.json()) as { message: string; field: string };
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(await backtestCount()).toBe(before);
  });

  it('refuses a strategy name that is not the rule name', async () => {
    const res = await post('/playground/backtests', { ...WINDOW, strategy: 'sma_cross', rule: RULE });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      field: 'strategy',
      message: expect.stringMatching(/is not the rule's name/),
    });
  });

  it('refuses a rule that peeks at the next day before anything runs, naming the first day it decides differently', async () => {
    const before = await backtestCount();
    const res = await post('/playground/backtests', { ...WINDOW, rule: { ...RULE, name: PEEKING } });
    expect(res.status).toBe(400);
    const error = (await res.json()) as { message: string; field: string };
    expect(error.field).toBe('rule');
    expect(error.message).toMatch(/^strategy peeks_tomorrow looks ahead: first on \d{4}-\d{2}-\d{2} \(/);
    expect(await backtestCount()).toBe(before);
    const runs = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId STARTS_WITH "backtest-AAPL-${PEEKING}"` }))
      runs.push(run);
    expect(runs).toEqual([]);
  });
});
