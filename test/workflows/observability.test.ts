import type { ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { dependencyChecks } from '../../src/api/readiness';
import { lazyTemporalClient, type TemporalClientHandle } from '../../src/composition';
import type { AppConfig } from '../../src/config/config';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { dailyRunWorkflow } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { killWorkerProcess, seedCsvDir, startWorkerProcess, workerOutput } from '../support/daily-run';
import { freePort, tempDir, waitFor } from '../support/mail';
import { startTestTemporal } from '../support/temporal';
import { testConfig } from '../support/worker';

// @fastify/static requires the ESM-only content-disposition@3, which jest's CommonJS runtime cannot load
// (see test/integration/api.test.ts); the API never calls reply.download(), its only user.
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

describe('watching it: the worker Prometheus endpoint and JSON logs, the API /ready and /metrics', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let config: AppConfig;
  let worker: ChildProcess | undefined;
  let metricsPort: number;
  let redis: Redis;
  const temporalClients: TemporalClientHandle[] = [];
  const apps: FastifyInstance[] = [];
  const mailers: NodemailerMailer[] = [];

  beforeAll(async () => {
    env = await startTestTemporal();
    t = await createTestDatabase();
    sink = await startMailSink({ port: 0, dir: tempDir('observability-mail-') });
    config = testConfig({ databaseUrl: t.url, temporalAddress: env.address, smtpPort: sink.port, tickers: ['AAPL'] });
    redis = new Redis(config.redis.url);
  }, 120_000);

  afterAll(async () => {
    if (worker) await killWorkerProcess(worker, 'SIGTERM');
    for (const app of apps) await app.close();
    for (const mailer of mailers) mailer.close();
    for (const handle of temporalClients) await handle.close();
    redis?.disconnect();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  it('serves the SDK metrics and the daily run metrics from the worker, and logs JSON lines', async () => {
    metricsPort = await freePort();
    worker = await startWorkerProcess({
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: seedCsvDir(),
      ALGO_TICKERS: 'AAPL',
      SMTP_PORT: String(sink.port),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      LOG_FORMAT: 'json',
    });
    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'ann@example.com',
      subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
      confirmed: true,
    });
    // sma_cross says BUY on the seed AAPL data on 2010-11-29: one signal, one email.
    const result = await env.client.workflow.execute(dailyRunWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: 'daily-2010-11-29',
      args: [{ date: '2010-11-29' }],
    });
    expect(result.notifications.sent).toBe(1);
    const buys = result.counts?.BUY ?? 0;
    expect(buys).toBeGreaterThan(0);

    const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    // Workflow metrics reach the exporter through a sink after the activation completes.
    let last = '';
    const text = await waitFor('the daily run metrics', async () => {
      last = await scrape();
      return /^algo_daily_run_emails\{[^}]*outcome="sent"[^}]*\} 1$/m.test(last) ? last : null;
    }).catch((err: Error) => {
      // Say what the endpoint did serve.
      const seen = last.split('\n').filter((l) => /algo|workflow_completed/.test(l));
      const logged = workerOutput(worker!)
        .split('\n')
        .filter((l) => /sink|metric/i.test(l));
      throw new Error(
        `${err.message}; the endpoint served:\n${seen.join('\n') || last.slice(0, 2000)}\nworker said:\n${logged.join('\n')}`,
      );
    });
    expect(text).toMatch(/^temporal_workflow_completed\{[^}]*workflow_type="dailyRunWorkflow"[^}]*\} 1$/m);
    expect(text).toMatch(new RegExp(`^algo_daily_run_signals\\{[^}]*kind="BUY"[^}]*\\} ${buys}$`, 'm'));
    expect(text).toMatch(/^algo_daily_run_stale_tickers\{[^}]*\} 0$/m);
    expect(text).toMatch(/^algo_daily_run_duration_seconds_count\{[^}]*trading_day="true"[^}]*\} 1$/m);

    const lines = workerOutput(worker)
      .split('\n')
      .filter((l) => l.trim());
    const ready = lines.find((l) => l.includes('worker ready'));
    expect(JSON.parse(ready!)).toMatchObject({
      level: 'info',
      msg: expect.stringMatching(/^worker ready: task queue /),
      metrics: `http://127.0.0.1:${metricsPort}/metrics`,
    });
    // Every line the worker wrote is one JSON object.
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  }, 180_000);

  /** An API over the real database and Redis whose Temporal client points at `temporalAddress`. */
  async function startApi(temporalAddress: string): Promise<string> {
    const temporal = lazyTemporalClient({ ...config, temporal: { ...config.temporal, address: temporalAddress } });
    temporalClients.push(temporal);
    const mailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: 'a@localhost' });
    mailers.push(mailer);
    const app = buildApi({
      config,
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
      temporal: TemporalGateway.fromConfig(temporal.client, config),
      readinessChecks: dependencyChecks({ db: t.db, redis, temporal: temporal.client }),
      webApp: false,
    });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  it('answers /ready with each dependency, 503 naming the one that is down', async () => {
    const up = await startApi(env.address);
    const ready = await fetch(`${up}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', redis: 'ok', temporal: 'ok' },
    });

    const down = await startApi(`127.0.0.1:${await freePort()}`);
    const notReady = await fetch(`${down}/ready`);
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not_ready');
    expect(body.checks.database).toBe('ok');
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.temporal).toMatch(/^down: /);
    // The SDK's gRPC retries of that failed check go on after its 2 s deadline
    // answered, until the next attempt meets the deadline (a second or two).
    // Closing the channel while a retry is pending throws "Channel has been
    // shut down" from a timer, into whatever test runs next: let them end.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
  }, 60_000);

  it('counts the API requests by route template and status in /metrics', async () => {
    const base = await startApi(env.address);
    await fetch(`${base}/health`);
    await fetch(`${base}/health`);
    await fetch(`${base}/tickers/AAPL`);
    await fetch(`${base}/no-such-page?token=secret`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('algo_http_requests_total{method="GET",route="/health",status="200"} 2');
    expect(text).toMatch(/algo_http_requests_total\{method="GET",route="\/tickers\/:ticker",status="\d{3}"\} 1/);
    expect(text).toContain('algo_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.toContain('secret');
    expect(text).toContain('# TYPE algo_http_requests_total counter');
  }, 60_000);
});
