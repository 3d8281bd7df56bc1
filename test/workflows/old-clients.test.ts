import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { buildApi } from '../../src/api/build-api';
import { TemporalGateway } from '../../src/services/temporal-gateway';
import { runStrategy } from '../../src/domain/strategies';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunResult } from '../../src/workflows/daily-run.workflow';
import type { NotifyTickerResult } from '../../src/workflows/notify-ticker.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../support/worker';
import { readMailbox, tempDir } from '../support/mail';
import { barsWithBuyOn, syntheticBars, writeCsv } from '../support/synthetic-bars';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

/** The issue's example request: the old clients' date. */
const DATE = '2022-03-04';
const API_KEY = 'old-clients-admin-key';

describe("the old notification service's clients, unchanged, on the real stack (Temporal, Postgres, Redis, SMTP)", () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let sink: MailSink;
  let mailDir: string;
  let api: FastifyInstance;
  let apiMailer: NodemailerMailer;
  let worker: TestWorker;
  let baseUrl: string;

  beforeAll(async () => {
    mailDir = tempDir('algo-old-clients-mail-');
    const csvDir = tempDir('algo-old-clients-csv-');
    writeCsv(csvDir, 'AAPL', barsWithBuyOn(DATE));
    writeCsv(csvDir, 'MSFT', syntheticBars(DATE, 7, 250));
    writeCsv(csvDir, 'NFLX', syntheticBars(DATE, 3, 400));
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    // Only MSFT by config: AAPL and NFLX are tracked because an old client POSTs them.
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir,
      smtpPort: sink.port,
      tickers: ['MSFT'],
    });
    config.strategies = {
      default: [
        { name: 'sma_cross', params: {} },
        { name: 'macd_cross', params: {} },
      ],
      perTicker: {},
    };
    config.api.apiKey = API_KEY;
    apiMailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: config.mail.from });
    api = buildApi({
      config,
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      prices: new PostgresPriceRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer: apiMailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
      temporal: TemporalGateway.fromConfig(env.client, config),
      today: () => DATE,
      webApp: false,
    });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    worker = await startTestWorker(env, config);
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    apiMailer?.close();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  /** A request as the old clients send it: the admin key header, the body as given (no content type unless set). */
  async function call(
    method: string,
    url: string,
    init: { body?: string; contentType?: string; admin?: boolean } = {},
  ) {
    const headers: Record<string, string> = init.admin === false ? {} : { 'x-api-key': API_KEY };
    if (init.contentType) headers['content-type'] = init.contentType;
    const res = await fetch(`${baseUrl}${url}`, { method, headers, body: init.body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  const runDaily = () =>
    env.client.workflow.execute('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `daily-${DATE}-old-clients`,
      args: [{ date: DATE }],
    }) as Promise<DailyRunResult>;

  it('POST /tickers (query, form), PUT an array, GET ?test=false, POST /notification with an old signal: the run tracks them, the signal is emailed once', async () => {
    // POST /tickers?ticker=AAPL with an empty body, and a form body, as the old clients send them.
    expect(await call('POST', '/tickers?ticker=aapl')).toEqual({
      status: 201,
      body: { ticker: 'AAPL', tracked: true, created: true },
    });
    expect(
      await call('POST', '/tickers', { body: 'ticker=NFLX', contentType: 'application/x-www-form-urlencoded' }),
    ).toMatchObject({ status: 201, body: { ticker: 'NFLX' } });
    expect(
      (await call('POST', '/tickers', { body: JSON.stringify({ ticker: 'NFLX' }), contentType: 'application/json' }))
        .status,
    ).toBe(200);
    expect((await call('POST', '/tickers')).status).toBe(400);
    expect((await call('POST', '/tickers?ticker=AAPL', { admin: false })).status).toBe(401);

    // The next daily run ingests and evaluates the added tickers beside the configured one.
    const run = await runDaily();
    expect(run.tickers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ticker: 'AAPL', ingestion: 'ok', evaluation: 'ok' }),
        expect.objectContaining({ ticker: 'NFLX', ingestion: 'ok', evaluation: 'ok' }),
        expect.objectContaining({ ticker: 'MSFT', ingestion: 'ok', evaluation: 'ok' }),
      ]),
    );
    const prices = new PostgresPriceRepository(t.db);
    expect((await prices.bars('AAPL', { from: DATE, to: DATE })).map((b) => b.date)).toEqual([DATE]);
    const recorded = await new PostgresSignalRepository(t.db).list({ date: DATE });
    expect(recorded.filter((s) => s.ticker === 'AAPL').map((s) => [s.strategy, s.signal])).toEqual([
      ['macd_cross', expect.any(String)],
      ['sma_cross', 'BUY'],
    ]);
    expect(recorded.some((s) => s.ticker === 'NFLX')).toBe(true);

    // PUT /tickers/AAPL with a JSON array: confirmed subscribers at once, no opt-in email.
    const put = await call('PUT', '/tickers/AAPL', {
      body: JSON.stringify(['ann@example.com', 'bob@example.com', 'ann@example.com']),
      contentType: 'application/json',
    });
    expect(put.status).toBe(200);
    expect(put.body.subscribers.map((s: { email: string; status: string }) => [s.email, s.status])).toEqual([
      ['ann@example.com', 'confirmed'],
      ['bob@example.com', 'confirmed'],
    ]);
    expect(await readMailbox(mailDir)).toHaveLength(0);

    // GET /tickers/AAPL?test=false lists the addresses.
    const get = await call('GET', '/tickers/AAPL?test=false');
    expect(get.status).toBe(200);
    expect(get.body.emails).toEqual(['ann@example.com', 'bob@example.com']);
    expect((await call('GET', '/tickers/AAPL?test=false', { admin: false })).body.emails).toBeUndefined();

    // A signal other than the one recorded for that day is refused, and nothing is sent.
    const wrong = await call('POST', '/notification/AAPL/send', {
      body: JSON.stringify({ signal: 'SELL', strategy: 'SMACross', date: DATE, test: false }),
      contentType: 'application/json',
    });
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toMatch(/sma_cross recorded BUY for AAPL on 2022-03-04, not SELL/);
    // test: true checks and lists the recipients, sends nothing.
    const dry = await call('POST', '/notification/AAPL/send', {
      body: JSON.stringify({ signal: 'BUY', strategy: 'SMACross', date: DATE, test: true }),
      contentType: 'application/json',
    });
    expect(dry).toMatchObject({
      status: 200,
      body: { test: true, strategy: 'sma_cross', recipients: ['ann@example.com', 'bob@example.com'] },
    });

    // The old body: the signal is emailed to the ticker's subscribers, once.
    const oldBody = JSON.stringify({ signal: 'BUY', strategy: 'SMACross', date: DATE, test: false });
    const send = async () => {
      const res = await call('POST', '/notification/AAPL/send', { body: oldBody, contentType: 'application/json' });
      expect(res.status).toBe(202);
      return (await env.client.workflow.getHandle(res.body.workflowId).result()) as NotifyTickerResult;
    };
    expect((await send()).notifications).toEqual({ sent: 2, skipped: 0, failed: 0 });
    const mails = await readMailbox(mailDir);
    expect(mails.map((m) => m.to).sort()).toEqual(['ann@example.com', 'bob@example.com']);
    for (const m of mails) expect(m.text).toMatch(/BUY AAPL[^\n]*sma_cross/);
    expect((await send()).notifications).toMatchObject({ sent: 0, failed: 0 });
    expect(await readMailbox(mailDir)).toHaveLength(2);
  });

  it('with check: a reported signal not recorded yet is checked against our rules over the stored bars, then recorded', async () => {
    await t.db.deleteFrom('signals').where('ticker', '=', 'NFLX').where('date', '=', DATE).execute();
    const bars = await new PostgresPriceRepository(t.db).bars('NFLX', { to: DATE });
    const ours = runStrategy('macd_cross', {}, bars).records.at(-1)!.signal;
    const other = ours === 'BUY' ? 'SELL' : 'BUY';
    const wrong = await call('POST', '/notification/NFLX/send', {
      body: JSON.stringify({ signal: other, strategy: 'MACDCross', date: DATE, test: true, check: true }),
      contentType: 'application/json',
    });
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toBe(`macd_cross gives ${ours} for NFLX on ${DATE}, not ${other}; nothing was sent`);
    expect(await new PostgresSignalRepository(t.db).list({ ticker: 'NFLX', date: DATE })).toEqual([]);
    // AAPL's sma_cross gives BUY on the date (the fixture is made so): without its recorded row, it is replayed and recorded.
    await t.db
      .deleteFrom('signals')
      .where('ticker', '=', 'AAPL')
      .where('strategy', '=', 'sma_cross')
      .where('date', '=', DATE)
      .execute();
    const right = await call('POST', '/notification/AAPL/send', {
      body: JSON.stringify({ signal: 'BUY', strategy: 'SMACross', date: DATE, test: true, check: true }),
      contentType: 'application/json',
    });
    expect(right).toMatchObject({
      status: 200,
      body: { recorded: true, recipients: ['ann@example.com', 'bob@example.com'] },
    });
    expect(
      (await new PostgresSignalRepository(t.db).list({ ticker: 'AAPL', strategy: 'sma_cross', date: DATE })).map(
        (s) => s.signal,
      ),
    ).toEqual(['BUY']);
    // No bar of that date: said, not guessed.
    const noBar = await call('POST', '/notification/NFLX/send', {
      body: JSON.stringify({ signal: 'BUY', strategy: 'sma_cross', date: '2022-03-07', test: true, check: true }),
      contentType: 'application/json',
    });
    expect(noBar).toMatchObject({
      status: 409,
      body: { message: expect.stringMatching(/^no stored price of NFLX on 2022-03-07/) },
    });
    // Without check, the reporter's word is taken: a dry run says what our rules give and records nothing.
    const reported = await call('POST', '/notification/NFLX/send', {
      body: JSON.stringify({ signal: other, strategy: 'MACDCross', date: DATE, test: true }),
      contentType: 'application/json',
    });
    expect(reported).toMatchObject({ status: 200, body: { recorded: false, ours, signal: other } });
    expect(
      await new PostgresSignalRepository(t.db).list({ ticker: 'NFLX', date: DATE, strategy: 'macd_cross' }),
    ).toEqual([]);
  });
});
