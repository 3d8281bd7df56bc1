import { spawn } from 'node:child_process';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildApi } from '../../src/api/build-api';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import type { AppConfig } from '../../src/config/config';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { readMailbox, tempDir } from '../support/mail';
import { barsWithBuyOn, syntheticBars, writeCsv } from '../support/synthetic-bars';
import { startTestTemporal } from '../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../support/worker';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const UI_URL = 'http://temporal-ui.example:8233';
const API_KEY = 'cli-commands-admin-key-0123456789';
const DATE = '2022-03-04';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('the CLI as a child process on the real stack: exit codes, tickers, notify', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let csvDir: string;
  let config: AppConfig;
  let worker: TestWorker;

  beforeAll(async () => {
    mailDir = tempDir('algo-cli-mail-');
    csvDir = tempDir('algo-cli-csv-');
    writeCsv(csvDir, 'AAPL', barsWithBuyOn(DATE));
    writeCsv(csvDir, 'MSFT', syntheticBars(DATE, 7, 250));
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir,
      smtpPort: sink.port,
      tickers: ['MSFT'],
    });
    config.strategies = { default: [{ name: 'sma_cross', params: {} }], perTicker: {} };
    worker = await startTestWorker(env, config);
  });

  afterAll(async () => {
    await worker?.stop();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  /** `algo <args>` in its own process, configured like the worker above (database, Temporal, queue, Redis prefix, SMTP, tickers). */
  function algo(...args: string[]): Promise<CliRun> {
    return algoWith({}, ...args);
  }

  /** {@link algo} with more environment variables. */
  function algoWith(extraEnv: Record<string, string>, ...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          DATABASE_URL: t.url,
          TEMPORAL_ADDRESS: env.address,
          TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
          REDIS_KEY_PREFIX: config.redis.keyPrefix,
          SMTP_PORT: String(sink.port),
          ALGO_CSV_DIR: csvDir,
          ALGO_TICKERS: 'MSFT',
          NO_COLOR: '1',
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) }));
    });
  }

  it('ingest, sweep and recommend exit 2 when some tickers failed and the others landed', async () => {
    const ingest = await algo(
      '--json',
      'ingest',
      '--provider',
      'csv',
      '--dir',
      csvDir,
      '--tickers',
      'AAPL,MSFT,NOPE',
      '--as-of',
      DATE,
    );
    expect({ code: ingest.code, stderr: ingest.stderr.slice(-300) }).toMatchObject({ code: 2 });
    expect(ingest.json().tickers.map((x: { ticker: string; status: string }) => [x.ticker, x.status])).toEqual([
      ['AAPL', 'ok'],
      ['MSFT', 'ok'],
      ['NOPE', 'failed'],
    ]);

    const clean = await algo(
      '--json',
      'ingest',
      '--provider',
      'csv',
      '--dir',
      csvDir,
      '--tickers',
      'AAPL',
      '--as-of',
      DATE,
    );
    expect(clean.code).toBe(0);

    const sweep = await algo(
      '--json',
      'sweep',
      '--strategy',
      'sma_cross',
      '--grid',
      'fast=5..10:5',
      '--tickers',
      'AAPL,NOPE',
    );
    expect(sweep.code).toBe(2);
    expect(sweep.json().tickers.map((x: { ticker: string; status: string }) => [x.ticker, x.status])).toEqual([
      ['AAPL', 'ok'],
      ['NOPE', 'no_data'],
    ]);

    const recommend = await algo(
      '--json',
      'recommend',
      '--tickers',
      'AAPL,NOPE',
      '--strategies',
      'sma_cross,macd_cross',
    );
    expect(recommend.code).toBe(2);
    expect(recommend.json().tickers.map((x: { ticker: string; status: string }) => [x.ticker, x.status])).toEqual([
      ['AAPL', 'ok'],
      ['NOPE', 'no_data'],
    ]);
  });

  it("tickers list/add/remove change what the daily run tracks; notify sends a ticker's signal once", async () => {
    const added = await algo('--json', 'tickers', 'add', 'nflx', 'AAPL');
    expect(added.code).toBe(0);
    expect(added.json()).toEqual([
      { ticker: 'NFLX', tracked: true, created: true },
      { ticker: 'AAPL', tracked: true, created: true },
    ]);
    const list = await algo('--json', 'tickers', 'list');
    expect(list.json().map((x: { ticker: string }) => x.ticker)).toEqual(['AAPL', 'MSFT', 'NFLX']);
    const removed = await algo('--json', 'tickers', 'remove', 'NFLX', 'MSFT');
    expect(removed.json()).toEqual([
      { ticker: 'NFLX', removed: true, tracked: false },
      { ticker: 'MSFT', removed: false, tracked: true, reason: 'it is in the config (tickers)' },
    ]);
    expect((await algo('--json', 'tickers')).json().map((x: { ticker: string }) => x.ticker)).toEqual(['AAPL', 'MSFT']);

    await new PostgresSubscriberRepository(t.db).subscribe({
      email: 'ann@example.com',
      subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
      confirmed: true,
    });
    // A signal our rules do not give: refused, nothing sent.
    const wrong = await algo('notify', 'AAPL', '--signal', 'SELL', '--strategy', 'SMACross', '--date', DATE);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/sma_cross gives BUY for AAPL on 2022-03-04, not SELL/);
    expect(await readMailbox(mailDir)).toHaveLength(0);

    const sent = await algo('--json', 'notify', 'AAPL', '--signal', 'BUY', '--strategy', 'SMACross', '--date', DATE);
    expect(sent.code).toBe(0);
    expect(sent.json()).toEqual({ ticker: 'AAPL', date: DATE, notifications: { sent: 1, skipped: 0, failed: 0 } });
    const again = await algo('--json', 'notify', 'AAPL', '--date', DATE);
    expect(again.json().notifications).toMatchObject({ sent: 0, failed: 0 });
    const mails = await readMailbox(mailDir);
    expect(mails.map((m) => m.to)).toEqual(['ann@example.com']);
    expect(mails[0].text).toMatch(/BUY AAPL[^\n]*sma_cross/);
    expect((await algo('notify', 'ZZZZ')).code).toBe(1);
  });

  it('the CLI and the API start a daily run of a date the same way (id daily-<date>, the same input, the defaults from the worker); the CLI links to temporal.uiUrl', async () => {
    const cli = await algoWith({ TEMPORAL_UI_URL: UI_URL }, '--json', 'run-daily', '--date', DATE);
    expect({ code: cli.code, stderr: cli.stderr.slice(-300) }).toMatchObject({ code: 0 });
    const cliRunId: string = cli.json().runId;
    expect(cli.stderr).toContain(
      `daily run daily-${DATE} started; watch it at ${UI_URL}/namespaces/${config.temporal.namespace}/workflows/daily-${DATE}/${cliRunId}/history`,
    );

    const mailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: config.mail.from });
    const api = buildApi({
      config: { ...config, api: { ...config.api, apiKey: API_KEY } },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
      temporal: TemporalGateway.fromConfig(env.client, config),
      webApp: false,
    });
    try {
      // light-my-request (inject) cannot load under jest: a real listener, as the other API tests.
      await api.listen({ host: '127.0.0.1', port: 0 });
      const { port } = api.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/runs/daily`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ date: DATE }),
      });
      const body = (await res.json()) as { workflowId: string; runId: string };
      expect([res.status, body.workflowId]).toEqual([202, `daily-${DATE}`]);
      const apiRunId = body.runId;
      await env.client.workflow.getHandle(`daily-${DATE}`, apiRunId).result();

      /** The run's recorded input, and the activities it ran before ingesting. */
      const recorded = async (runId: string) => {
        const { events } = await env.client.workflow.getHandle(`daily-${DATE}`, runId).fetchHistory();
        const input = defaultPayloadConverter.fromPayload(
          events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0],
        );
        const activities = events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
        return { input, defaults: activities.includes('runDefaults') };
      };
      expect(await recorded(apiRunId)).toEqual({ input: { date: DATE }, defaults: true });
      expect(await recorded(cliRunId)).toEqual(await recorded(apiRunId));
    } finally {
      await api.close();
      mailer.close();
    }
  });
});
