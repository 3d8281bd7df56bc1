import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresTrackingRepository } from '../../src/adapters/postgres/postgres-tracking.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { confirmChangeUrl, manageUrl } from '../../src/domain/subscriptions';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { sql } from 'kysely';
import { emptyMailbox, readMailbox, tempDir } from '../support/mail';
import { testConfig, testDependencies } from '../support/worker';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const SECRET = 't'.repeat(32);
const PUBLIC_URL = 'http://signals.test:8000';
const SAMPLE_DIR = path.resolve(__dirname, '../../data/sample');
const LIMITS = { maxTickersPerSubscriber: 3, maxTrackedTickers: 5, pendingChecksPerRun: 20 };

/**
 * Issue 18 point 1: nobody can make every run slow. Real Postgres, the real
 * SMTP sink, the worker's own dependencies (its daily-run `trackedTickers`
 * activity) over the csv provider of the bundled sample (AAPL, AMZN, JPM, MSFT, XOM).
 */
describe('tickers a subscriber may bring (caps, pending symbols)', () => {
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let app: FastifyInstance;
  let subscribers: PostgresSubscriberRepository;
  let baseUrl: string;
  const signer = new HmacTokenSigner(SECRET);
  const links = { publicUrl: PUBLIC_URL, signer };
  const tracked = () => new PostgresTrackingRepository(t.db, { tickers: ['AAPL'], strategies }).trackedTickers();
  const strategies = { default: [{ name: 'sma_cross', params: {} }], perTicker: {} };

  beforeAll(async () => {
    t = await createTestDatabase();
    mailDir = tempDir('subscriber-tickers-mail-');
    sink = await startMailSink({ port: 0, dir: mailDir });
    mailer = new NodemailerMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      timeoutMs: 3000,
    });
    subscribers = new PostgresSubscriberRepository(t.db);
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies,
        subscriptions: { ...LIMITS, confirmLinkDays: 7, manageLinkDays: 180 },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: 'tickers-admin-key',
          publicUrl: PUBLIC_URL,
          tokenSecrets: [SECRET],
        },
      },
      subscribers,
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer,
      today: () => '2024-01-05',
      webApp: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  /** A request over HTTP (light-my-request's inject needs an ESM-only module jest cannot load here). */
  async function call(
    method: string,
    url: string,
    options: { headers?: Record<string, string>; payload?: unknown } = {},
  ) {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { ...(options.payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.payload ? JSON.stringify(options.payload) : undefined,
    });
    const body = (await res.json()) as { message?: string; tickers?: Array<{ ticker: string }> };
    return { statusCode: res.status, json: () => body };
  }

  afterAll(async () => {
    await app.close();
    mailer.close();
    await sink.close();
    await t.destroy();
  });

  beforeEach(async () => {
    await t.truncateAll();
    emptyMailbox(mailDir);
  });

  const confirmed = async (email: string, tickers: string[]) =>
    (
      await subscribers.subscribe({
        email,
        subscriptions: tickers.map((ticker) => ({ ticker, strategy: 'sma_cross' })),
        confirmed: true,
      })
    ).subscriber;
  const manageToken = (s: { id: number; email: string }) => new URL(manageUrl(links, s)).searchParams.get('token')!;
  const putManage = (token: string, tickers: string[]) =>
    call('PUT', '/manage', {
      headers: { 'x-manage-token': token },
      payload: { subscriptions: tickers.map((ticker) => ({ ticker, strategy: 'sma_cross' })) },
    });

  it('PUT /manage refuses more tickers than one address may follow, naming the field, and changes nothing', async () => {
    const ann = await confirmed('ann@example.com', ['AAPL']);
    const res = await putManage(manageToken(ann), ['AAPL', 'MSFT', 'XOM', 'JPM']);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      field: 'subscriptions',
      message: expect.stringContaining('4 tickers: one address may follow at most 3'),
    });
    expect((await subscribers.findByEmail('ann@example.com'))?.subscriptions).toEqual([
      { ticker: 'AAPL', strategy: 'sma_cross' },
    ]);
    // A public subscribe request is held to the same cap before anything is stored or emailed.
    const request = await call('POST', '/subscriptions', {
      payload: { email: 'bob@example.com', tickers: ['AAPL', 'MSFT', 'XOM', 'JPM'] },
    });
    expect(request.statusCode).toBe(400);
    expect(request.json()).toMatchObject({ field: 'tickers' });
    expect(await subscribers.findByEmail('bob@example.com')).toBeNull();
    expect(await readMailbox(mailDir)).toEqual([]);
  });

  it('a confirm link that would take its address past the cap is refused with the reason, and nothing is applied', async () => {
    const cy = await confirmed('cy@example.com', ['AAPL', 'MSFT']);
    const change = await new PostgresSubscriptionChangeRepository(t.db).request({
      email: 'cy@example.com',
      mailbox: 'cy@example.com',
      subscriptions: [
        { ticker: 'XOM', strategy: 'sma_cross' },
        { ticker: 'JPM', strategy: 'sma_cross' },
      ],
      date: '2024-01-05',
    });
    const token = new URL(confirmChangeUrl(links, change.change)).searchParams.get('token')!;
    const res = await call('POST', '/subscriptions/confirm', { payload: { token } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('4 tickers: one address may follow at most 3');
    expect((await subscribers.findById(cy.id))?.subscriptions.map((s) => s.ticker)).toEqual(['AAPL', 'MSFT']);
  });

  it('a symbol nothing tracks is pending (never in the daily run) until the provider confirms it; one it lacks is dropped and its subscribers told', async () => {
    const dee = await confirmed('dee@example.com', ['AAPL']);
    const eve = await confirmed('eve@example.com', ['AAPL']);
    expect((await putManage(manageToken(dee), ['AAPL', 'MSFT', 'ZZZQ'])).statusCode).toBe(200);
    expect((await putManage(manageToken(eve), ['ZZZQ'])).statusCode).toBe(200);
    // Followed by confirmed subscribers, yet neither is fetched by the daily run on their word.
    expect(await tracked()).toEqual(['AAPL']);
    const listed = await call('GET', '/tickers');
    expect(listed.json().tickers?.map((x) => x.ticker)).toEqual(['AAPL']);

    // The worker's daily-run activity asks the provider first: MSFT has bars, ZZZQ has no file.
    const config = testConfig({ databaseUrl: t.url, csvDir: SAMPLE_DIR, smtpPort: sink.port, tickers: ['AAPL'] });
    config.api = { ...config.api, publicUrl: PUBLIC_URL, tokenSecrets: [SECRET] };
    const worker = testDependencies(config);
    try {
      expect(await worker.deps.trackedTickers()).toEqual(['AAPL', 'MSFT']);
      expect((await subscribers.findById(dee.id))?.subscriptions.map((s) => s.ticker)).toEqual(['AAPL', 'MSFT']);
      expect((await subscribers.findById(eve.id))?.subscriptions.map((s) => s.ticker)).toEqual([]);
      const mail = await readMailbox(mailDir);
      expect(mail.map((m) => [m.to, m.subject]).sort()).toEqual([
        ['dee@example.com', 'ZZZQ was removed from your Algo Signals subscriptions'],
        ['eve@example.com', 'ZZZQ was removed from your Algo Signals subscriptions'],
      ]);
      expect(mail[0].text).toContain('has no prices for a symbol of that name');
      // Its manage link works for its reader.
      const link = /Manage your subscriptions: (\S+)/.exec(mail[0].text)?.[1] ?? '';
      expect(link.startsWith(`${PUBLIC_URL}/app/manage?token=`)).toBe(true);
      const reader = await call('GET', '/manage', {
        headers: { 'x-manage-token': new URL(link).searchParams.get('token')! },
      });
      expect(reader.statusCode).toBe(200);
      // Answered once: the next run asks nothing and tells nobody again.
      expect(await worker.deps.trackedTickers()).toEqual(['AAPL', 'MSFT']);
      expect(await readMailbox(mailDir)).toHaveLength(2);
    } finally {
      await worker.close();
    }
  });

  it('new symbols are refused once the tracked and pending tickers reach maxTrackedTickers; known ones are still allowed', async () => {
    // AAPL (configured), MSFT and XOM (followed), JPM and ZZZQ (pending): 5, the cap.
    await confirmed('fay@example.com', ['MSFT', 'XOM']);
    const hal = await confirmed('hal@example.com', ['MSFT']);
    expect((await putManage(manageToken(hal), ['JPM', 'ZZZQ'])).statusCode).toBe(200);
    const gus = await confirmed('gus@example.com', ['AAPL']);
    const refused = await putManage(manageToken(gus), ['AAPL', 'QQQQ']);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      field: 'subscriptions',
      message: expect.stringContaining('QQQQ: this service follows as many tickers as it can (5)'),
    });
    expect((await subscribers.findById(gus.id))?.subscriptions.map((s) => s.ticker)).toEqual(['AAPL']);
    // A pending symbol and a followed one are not new: allowed.
    expect((await putManage(manageToken(gus), ['AAPL', 'ZZZQ', 'XOM'])).statusCode).toBe(200);
  });

  /** Tickers tracked or pending in all: the configured AAPL, every followed one, every pending one. */
  const totalTickers = async () =>
    (
      await sql<{ n: number }>`
        select count(*)::int as n from (
          select 'AAPL' as ticker union select ticker from subscriptions union select ticker from pending_tickers) k`.execute(
        t.db,
      )
    ).rows[0].n;

  it('simultaneous PUT /manage requests cannot take the tracked total past maxTrackedTickers', async () => {
    const people = await Promise.all(Array.from({ length: 20 }, (_, i) => confirmed(`p${i}@example.com`, ['AAPL'])));
    // Each asks for a symbol nothing tracks: together 21 tickers, the cap is 5.
    const answers = await Promise.all(
      people.map((p, i) => putManage(manageToken(p), ['AAPL', `Q${String.fromCharCode(65 + i)}`])),
    );
    expect(await totalTickers()).toBe(5);
    const accepted = answers.filter((a) => a.statusCode === 200);
    expect(accepted).toHaveLength(4);
    for (const refused of answers.filter((a) => a.statusCode !== 200)) {
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({
        field: 'subscriptions',
        message: expect.stringContaining('this service follows as many tickers as it can (5)'),
      });
    }
    const stored = await t.db.selectFrom('pending_tickers').select('ticker').execute();
    expect(stored).toHaveLength(4);
  });

  it('simultaneous confirm links cannot take one address past maxTickersPerSubscriber', async () => {
    // MSFT, XOM, JPM and AMZN are followed already: only the per-address cap (3) is at stake.
    await confirmed('big@example.com', ['MSFT', 'XOM', 'JPM', 'AMZN']);
    const kim = await confirmed('kim@example.com', ['AAPL']);
    const changes = new PostgresSubscriptionChangeRepository(t.db);
    const others = ['MSFT', 'XOM', 'JPM', 'AMZN'];
    const tokens: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { change } = await changes.request({
        email: 'kim@example.com',
        mailbox: 'kim@example.com',
        subscriptions: [{ ticker: others[i % 4], strategy: 'sma_cross' }],
        date: '2024-01-05',
      });
      tokens.push(new URL(confirmChangeUrl(links, change)).searchParams.get('token')!);
    }
    const answers = await Promise.all(
      tokens.map((token) => call('POST', '/subscriptions/confirm', { payload: { token } })),
    );
    const following = (await subscribers.findById(kim.id))?.subscriptions.map((s) => s.ticker) ?? [];
    expect(following).toHaveLength(3);
    expect(following).toContain('AAPL');
    const refused = answers.filter((a) => a.statusCode !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.statusCode).toBe(400);
      expect(answer.json().message).toContain('4 tickers: one address may follow at most 3');
    }
  });

  it('a "symbol removed" email the mail server could not take is sent by a later run, once, and the removal stands', async () => {
    const lee = await confirmed('lee@example.com', ['AAPL']);
    expect((await putManage(manageToken(lee), ['AAPL', 'ZZZQ'])).statusCode).toBe(200);
    const mo = await confirmed('mo@example.com', ['AAPL']);
    expect((await putManage(manageToken(mo), ['AAPL', 'ZZZQ'])).statusCode).toBe(200);
    const config = testConfig({ databaseUrl: t.url, csvDir: SAMPLE_DIR, smtpPort: sink.port, tickers: ['AAPL'] });
    config.api = { ...config.api, publicUrl: PUBLIC_URL, tokenSecrets: [SECRET] };
    const worker = testDependencies(config);
    const port = sink.port;
    try {
      await sink.close();
      // The mail server is down while the run finds ZZZQ missing: the removal is kept, the email stays claimed.
      expect(await worker.deps.trackedTickers()).toEqual(['AAPL']);
      expect((await subscribers.findById(lee.id))?.subscriptions.map((s) => s.ticker)).toEqual(['AAPL']);
      expect(await t.db.selectFrom('pending_tickers').select('ticker').execute()).toEqual([]);
      const claimed = await t.db.selectFrom('deliveries').select(['kind', 'status']).execute();
      expect(claimed).toEqual([
        { kind: 'ticker-dropped:ZZZQ', status: 'claimed' },
        { kind: 'ticker-dropped:ZZZQ', status: 'claimed' },
      ]);
      // Mo unsubscribes meanwhile: asked for no more email, not told.
      await subscribers.unsubscribe('mo@example.com');

      sink = await startMailSink({ port, dir: mailDir });
      // The next run sends it; the one after sends nothing more.
      expect(await worker.deps.trackedTickers()).toEqual(['AAPL']);
      expect(await worker.deps.trackedTickers()).toEqual(['AAPL']);
      const mail = await readMailbox(mailDir);
      expect(mail.map((m) => [m.to, m.subject])).toEqual([
        ['lee@example.com', 'ZZZQ was removed from your Algo Signals subscriptions'],
      ]);
      const after = await t.db
        .selectFrom('deliveries')
        .select(['subscriber_id', 'status'])
        .orderBy('subscriber_id')
        .execute();
      expect(after).toEqual([
        { subscriber_id: lee.id, status: 'sent' },
        { subscriber_id: mo.id, status: 'claimed' },
      ]);
    } finally {
      await worker.close();
    }
  });
});
