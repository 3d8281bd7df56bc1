import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresRecommendationRepository } from '../../src/adapters/postgres/postgres-recommendation.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { buildApi } from '../../src/api/build-api';
import { rebuildStrategyStates } from '../../src/domain/strategy-states';
import { deliveryMessageId } from '../../src/domain/notifications/delivery';
import { tradingDays, nextTradingDay } from '../../src/domain/calendar';
import type { IsoDate } from '../../src/domain/dates';
import type { SignalRecord } from '../../src/domain/ports';
import { runStrategy } from '../../src/domain/strategies';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import type { NotifyTickerInput, NotifyTickerResult } from '../../src/workflows/notify-ticker.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, testDependencies, withTestWorker } from '../support/worker';
import { emptyMailbox, readMailbox, tempDir, type ReceivedEmail } from '../support/mail';
import { seedCsvDir, seedReferenceSignals } from '../support/daily-run';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

/** The strategies this file runs by config: the two of SEED.md. Others come from subscriptions. */
const SEED_STRATEGIES = ['macd_cross', 'sma_cross'];

describe('dailyRunWorkflow on the real stack (Temporal, Postgres, Redis, SMTP sink)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let config: AppConfig;
  let sink: MailSink;
  let mailDir: string;
  let api: FastifyInstance;
  let apiMailer: NodemailerMailer;
  let services: ReturnType<typeof testDependencies>;
  let prices: PostgresPriceRepository;
  let signals: PostgresSignalRepository;
  let subscribers: PostgresSubscriberRepository;
  let runs = 0;

  beforeAll(async () => {
    mailDir = tempDir('algo-daily-mail-');
    [env, t, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    config = testConfig({
      databaseUrl: t.url,
      temporalAddress: env.address,
      csvDir: seedCsvDir(),
      smtpPort: sink.port,
      tickers: ['AAPL'],
    });
    config.strategies = { default: SEED_STRATEGIES.map((name) => ({ name, params: {} })), perTicker: {} };
    prices = new PostgresPriceRepository(t.db);
    signals = new PostgresSignalRepository(t.db);
    subscribers = new PostgresSubscriberRepository(t.db);

    // The API that unsubscribe links point to, so that a link from an email can be followed for real.
    apiMailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: config.mail.from });
    api = buildApi({
      config,
      subscribers,
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals,
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer: apiMailer,
      signer: new HmacTokenSigner(config.api.tokenSecrets),
    });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const address = api.server.address();
    config.api.publicUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    services = testDependencies(config);
  });

  afterAll(async () => {
    await services?.close();
    await api?.close();
    apiMailer?.close();
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  /** Each test starts without signals, subscribers, deliveries, strategy state or mail; stored bars are kept (runs read bars up to their date only). */
  beforeEach(async () => {
    await t.db.deleteFrom('deliveries').execute();
    await t.db.deleteFrom('subscriptions').execute();
    await t.db.deleteFrom('subscribers').execute();
    await t.db.deleteFrom('signals').execute();
    await services.deps.states.clear();
    emptyMailbox(mailDir);
  });

  const withWorker = <T>(fn: () => Promise<T>) => withTestWorker(env, config, fn);

  const runDaily = (input: DailyRunInput) =>
    env.client.workflow.execute('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `daily-${input.date}-${++runs}`,
      args: [input],
    }) as Promise<DailyRunResult>;

  const notifyTicker = (input: NotifyTickerInput) =>
    env.client.workflow.execute('notifyTickerWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `notify-${input.ticker}-${++runs}`,
      args: [input],
    }) as Promise<NotifyTickerResult>;

  const subscribe = async (email: string, pairs: Array<[string, string]>, confirmed = true) =>
    (
      await subscribers.subscribe({
        email,
        subscriptions: pairs.map(([ticker, strategy]) => ({ ticker, strategy })),
        confirmed,
      })
    ).subscriber.id;

  /** What the production replay gives for `strategy` over every stored AAPL bar (initialised on the first one), by date. */
  async function replay(
    strategy: string,
    to: IsoDate,
  ): Promise<Map<IsoDate, { signal: string; inputs: SignalRecord['inputs'] }>> {
    const bars = await prices.bars('AAPL', { to });
    return new Map(
      runStrategy(strategy, {}, bars).records.map((r) => [r.date, { signal: r.signal, inputs: r.inputs }]),
    );
  }

  it('records sma_cross and macd_cross day by day as the full replay and SEED.md give them, and emails each confirmed subscriber exactly once', async () => {
    const ann = await subscribe('ann@example.com', [
      ['AAPL', 'sma_cross'],
      ['AAPL', 'macd_cross'],
    ]);
    // Bob also follows a strategy no config runs: subscribing is enough to have it evaluated.
    const bob = await subscribe('bob@example.com', [
      ['AAPL', 'sma_cross'],
      ['AAPL', 'macd_cross'],
      ['AAPL', 'donchian_breakout'],
    ]);
    await subscribe(
      'carl@example.com',
      [
        ['AAPL', 'sma_cross'],
        ['AAPL', 'macd_cross'],
      ],
      false,
    );
    // A confirmed subscriber of a ticker the CSV source does not have: that ticker fails alone.
    await subscribe('dora@example.com', [['ZZZZ', 'sma_cross']]);
    const emailOf = new Map([
      [ann, 'ann@example.com'],
      [bob, 'bob@example.com'],
    ]);
    const strategiesOf = new Map([
      [ann, ['macd_cross', 'sma_cross']],
      [bob, ['donchian_breakout', 'macd_cross', 'sma_cross']],
    ]);

    const first: IsoDate = '2010-11-26';
    const days = [first, ...tradingDays(nextTradingDay(first), '2010-12-23')];
    const results: DailyRunResult[] = [];
    const mailByDay = new Map<IsoDate, ReceivedEmail[]>();
    let seen = 0;
    await withWorker(async () => {
      for (const date of days) {
        const result = await runDaily({ date });
        results.push(result);
        const mailbox = await readMailbox(mailDir);
        mailByDay.set(date, mailbox.slice(seen));
        seen = mailbox.length;
      }
    });

    // Recorded signals equal the whole-history replay from the first stored day, for every run date and no other.
    const stored = await signals.list({});
    expect([...new Set(stored.map((s) => s.date))]).toEqual(days);
    const bars = await prices.bars('AAPL', { to: days[days.length - 1] });
    for (const strategy of [...SEED_STRATEGIES, 'donchian_breakout']) {
      const expected = await replay(strategy, days[days.length - 1]);
      const recorded = stored.filter((s) => s.strategy === strategy && s.ticker === 'AAPL');
      expect(recorded.map((s) => [s.date, s.signal, s.inputs])).toEqual(
        days.map((d) => [d, expected.get(d)!.signal, expected.get(d)!.inputs]),
      );
      for (const s of recorded) expect(s.close).toBe(bars.find((b) => b.date === s.date)!.close);
    }
    // ... and SEED.md's rules, read independently, give the same BUY/SELL days.
    for (const strategy of ['sma_cross', 'macd_cross'] as const) {
      const reference = seedReferenceSignals(bars, strategy);
      expect(stored.filter((s) => s.strategy === strategy).map((s) => [s.date, s.signal])).toEqual(
        days.map((d) => [d, reference.get(d)]),
      );
    }
    const actions = stored
      .filter((s) => s.signal === 'BUY' || s.signal === 'SELL')
      .map((s) => `${s.date} ${s.strategy} ${s.signal}`);
    expect(actions).toEqual([
      '2010-11-29 sma_cross BUY',
      '2010-12-02 macd_cross BUY',
      '2010-12-16 macd_cross SELL',
      '2010-12-22 donchian_breakout BUY',
      '2010-12-22 macd_cross BUY',
      '2010-12-23 macd_cross SELL',
    ]);

    // The run results: their JSON shape, the date's signals, per-ticker isolation.
    for (const [i, result] of results.entries()) {
      const date = days[i];
      expect(result).toEqual({
        runId: expect.any(String),
        date,
        tradingDay: true,
        // BUY and SELL listed, every kind counted (HOLD and WAIT stay in Postgres).
        counts: Object.fromEntries(
          (['BUY', 'SELL', 'HOLD', 'WAIT'] as const).map((k) => [
            k,
            stored.filter((s) => s.date === date && s.signal === k).length,
          ]),
        ),
        // Each run recorded its date's signals itself (none was there before it).
        newSignals: stored.filter((s) => s.date === date).length,
        signals: stored
          .filter((s) => s.date === date && (s.signal === 'BUY' || s.signal === 'SELL'))
          .map(({ ticker, strategy, signal }) => ({ date, ticker, strategy, signal })),
        stale: [{ ticker: 'ZZZZ', lastDate: null }],
        notifications: { sent: mailByDay.get(date)!.length, skipped: 0, failed: 0 },
        tickers: [
          { ticker: 'AAPL', ingestion: 'ok', evaluation: 'ok', provider: 'csv', lastBarDate: date },
          { ticker: 'ZZZZ', ingestion: 'failed', evaluation: 'no_data', error: expect.stringMatching(/ZZZZ/) },
        ],
      });
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    }

    // Every email: one per confirmed subscriber with a BUY or SELL on their subscriptions that day, never HOLD/WAIT, never the unconfirmed.
    const deliveries = await t.db.selectFrom('deliveries').selectAll().execute();
    for (const date of days) {
      const mail = mailByDay.get(date)!;
      const expectedRecipients = [...strategiesOf].filter(([, followed]) =>
        stored.some(
          (s) => s.date === date && followed.includes(s.strategy) && (s.signal === 'BUY' || s.signal === 'SELL'),
        ),
      );
      expect(mail.map((m) => m.to).sort()).toEqual(expectedRecipients.map(([id]) => emailOf.get(id)!).sort());
      for (const [id, followed] of expectedRecipients) {
        const message = mail.find((m) => m.to === emailOf.get(id))!;
        const theirs = stored.filter(
          (s) => s.date === date && followed.includes(s.strategy) && (s.signal === 'BUY' || s.signal === 'SELL'),
        );
        expect(message.subject).toBe(
          theirs.length === 1
            ? `${theirs[0].signal} AAPL (${theirs[0].strategy}) on ${date}`
            : `${theirs.length} signals on ${date}`,
        );
        for (const s of theirs) {
          const numbers = Object.entries({ close: s.close, ...s.inputs }).map(
            ([k, v]) => `${k} ${v === null ? 'n/a' : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(4)}`,
          );
          expect(Object.keys(s.inputs).length).toBeGreaterThan(0);
          for (const part of [`${s.signal} AAPL on ${date} according to ${s.strategy}`, ...numbers])
            expect(message.text).toContain(part);
          const row = [
            `>${s.signal}</td>`,
            `<td>AAPL</td>`,
            `<td>${s.strategy} v${s.strategyVersion}</td>`,
            `<td>${date}</td>`,
            numbers.join(', '),
          ];
          for (const part of row) expect(message.html).toContain(part);
        }
        expect(message.text).not.toMatch(/\b(HOLD|WAIT)\b/);
        const delivery = deliveries.find((d) => d.kind === 'daily' && d.run_date === date && d.subscriber_id === id)!;
        expect(delivery).toMatchObject({
          status: 'sent',
          attempts: 1,
          message_id: deliveryMessageId('daily', date, id),
        });
        expect(message.messageId).toBe(`<${delivery.message_id}>`);
        expect(message.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
        const link = /^<(.+)>$/.exec(message.headers.get('list-unsubscribe') ?? '')?.[1];
        expect(link).toMatch(new RegExp(`^${config.api.publicUrl}/unsubscribe\\?token=`));
        expect(message.text).toContain(link);
      }
    }
    expect(mailByDay.get('2010-11-29')!.map((m) => m.subject)).toEqual([
      'BUY AAPL (sma_cross) on 2010-11-29',
      'BUY AAPL (sma_cross) on 2010-11-29',
    ]);
    expect(
      mailByDay
        .get('2010-12-22')!
        .map((m) => `${m.to}: ${m.subject}`)
        .sort(),
    ).toEqual(['ann@example.com: BUY AAPL (macd_cross) on 2010-12-22', 'bob@example.com: 2 signals on 2010-12-22']);
    expect(deliveries).toHaveLength([...mailByDay.values()].flat().length);

    // Re-running dates already run sends nothing new and changes no signal.
    const signalsBefore = await t.db
      .selectFrom('signals')
      .selectAll()
      .orderBy(['date', 'ticker', 'strategy'])
      .execute();
    const mailBefore = (await readMailbox(mailDir)).length;
    const reruns = await withWorker(async () => [
      await runDaily({ date: '2010-11-29' }),
      await runDaily({ date: '2010-12-22' }),
    ]);
    for (const rerun of reruns) {
      const original = results[days.indexOf(rerun.date)];
      expect(rerun.notifications).toEqual({ sent: 0, skipped: original.notifications.sent, failed: 0 });
      expect(rerun.signals).toEqual(original.signals);
    }
    expect(await t.db.selectFrom('signals').selectAll().orderBy(['date', 'ticker', 'strategy']).execute()).toEqual(
      signalsBefore,
    );
    expect((await readMailbox(mailDir)).length).toBe(mailBefore);

    // The unsubscribe link of an email works (RFC 8058 one-click POST), and it was signed for that subscriber only.
    const annMail = mailByDay.get('2010-12-22')!.find((m) => m.to === 'ann@example.com')!;
    const annLink = /^<(.+)>$/.exec(annMail.headers.get('list-unsubscribe')!)![1];
    const forged = annLink.replace(
      /token=([^.]+)\.(.)/,
      (_, payload: string, c: string) => `token=${payload}.${c === 'A' ? 'B' : 'A'}`,
    );
    const rejected = await fetch(forged, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(rejected.status).toBe(400);
    expect((await subscribers.findById(ann))!.status).toBe('confirmed');
    const response = await fetch(annLink, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect((await subscribers.findById(ann))!.status).toBe('unsubscribed');
    expect((await subscribers.findById(bob))!.status).toBe('confirmed');

    // From then on she gets nothing; Bob still gets his (macd_cross says BUY on 2010-12-28; 2010-12-24 is a holiday).
    const later = await withWorker(async () => [
      await runDaily({ date: nextTradingDay('2010-12-23') }),
      await runDaily({ date: '2010-12-28' }),
    ]);
    expect(later.map((r) => [r.date, r.notifications])).toEqual([
      ['2010-12-27', { sent: 0, skipped: 0, failed: 0 }],
      ['2010-12-28', { sent: 1, skipped: 0, failed: 0 }],
    ]);
    expect((await readMailbox(mailDir)).slice(mailBefore).map((m) => `${m.to}: ${m.subject}`)).toEqual([
      'bob@example.com: BUY AAPL (macd_cross) on 2010-12-28',
    ]);
  });

  it('does nothing on a non-trading day and says why', async () => {
    await subscribe('ann@example.com', [
      ['AAPL', 'sma_cross'],
      ['AAPL', 'macd_cross'],
    ]);
    const count = async (table: 'signals' | 'deliveries' | 'ingestion_runs') =>
      Number(
        (
          await t.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = {
      signals: await count('signals'),
      deliveries: await count('deliveries'),
      runs: await count('ingestion_runs'),
    };

    const results = await withWorker(async () => [
      await runDaily({ date: '2012-10-29' }),
      await runDaily({ date: '2010-11-27' }),
      await runDaily({ date: '2010-11-25' }),
    ]);
    expect(results.map((r) => ({ ...r, runId: typeof r.runId }))).toEqual([
      {
        runId: 'string',
        date: '2012-10-29',
        tradingDay: false,
        closure: expect.stringMatching(/Hurricane Sandy/),
        signals: [],
        notifications: { sent: 0, skipped: 0, failed: 0 },
        tickers: [],
      },
      {
        runId: 'string',
        date: '2010-11-27',
        tradingDay: false,
        closure: 'Weekend',
        signals: [],
        notifications: { sent: 0, skipped: 0, failed: 0 },
        tickers: [],
      },
      {
        runId: 'string',
        date: '2010-11-25',
        tradingDay: false,
        closure: expect.stringMatching(/Thanksgiving/),
        signals: [],
        notifications: { sent: 0, skipped: 0, failed: 0 },
        tickers: [],
      },
    ]);
    expect({
      signals: await count('signals'),
      deliveries: await count('deliveries'),
      runs: await count('ingestion_runs'),
    }).toEqual(before);
    expect(await services.deps.states.getMany([{ ticker: 'AAPL', strategy: 'sma_cross' }])).toEqual(new Map());
    expect(await readMailbox(mailDir)).toEqual([]);
  });

  it('after missed days, advances the state through every stored day in order, records each day, and emails the missed BUY once', async () => {
    const d0: IsoDate = '2010-11-23';
    const [d1, d2, d3, d4] = tradingDays(nextTradingDay(d0), '2010-11-30');
    expect([d1, d2, d3, d4]).toEqual(['2010-11-24', '2010-11-26', '2010-11-29', '2010-11-30']);
    const eve = await subscribe('eve@example.com', [['AAPL', 'sma_cross']]);
    const [r0, r4, again] = await withWorker(async () => [
      await runDaily({ date: d0 }),
      await runDaily({ date: d4 }),
      await runDaily({ date: d4 }),
    ]);
    expect(Object.values(r0.counts!).reduce((a, b) => a + b)).toBe(2); // one signal of d0 per strategy

    const stored = await signals.list({});
    expect([...new Set(stored.map((s) => s.date))]).toEqual([d0, d1, d2, d3, d4]);
    // The run of d4 reports every day it recorded, the caught-up ones included.
    const caughtUp = stored.filter((s) => s.date > d0);
    expect(r4.signals).toEqual(
      caughtUp
        .filter((s) => s.signal === 'BUY' || s.signal === 'SELL')
        .map(({ date, ticker, strategy, signal }) => ({ date, ticker, strategy, signal })),
    );
    expect(r4.counts).toEqual(
      Object.fromEntries(
        (['BUY', 'SELL', 'HOLD', 'WAIT'] as const).map((k) => [k, caughtUp.filter((s) => s.signal === k).length]),
      ),
    );
    expect(r4.signals.length).toBeGreaterThan(0);
    const bars = await prices.bars('AAPL', { to: d4 });
    for (const strategy of SEED_STRATEGIES) {
      const expected = await replay(strategy, d4);
      expect(stored.filter((s) => s.strategy === strategy).map((s) => [s.date, s.signal, s.inputs])).toEqual(
        [d0, d1, d2, d3, d4].map((d) => [d, expected.get(d)!.signal, expected.get(d)!.inputs]),
      );
      const state = (await services.deps.states.getMany([{ ticker: 'AAPL', strategy }])).get(`AAPL|${strategy}`)!;
      expect(state.state).toEqual(runStrategy(strategy, {}, bars).state);
      expect(state.state.lastDate).toBe(d4);
    }
    // The missed BUY of d3 was evaluated in order (a later HOLD needs it).
    expect(stored.filter((s) => s.strategy === 'sma_cross').map((s) => s.signal)).toEqual([
      'WAIT',
      'WAIT',
      'WAIT',
      'BUY',
      'HOLD',
    ]);

    // Nobody was told of it on d3 (no run): the d4 digest carries it, under its own heading, once.
    expect([r0.notifications, r4.notifications, again.notifications]).toEqual([
      { sent: 0, skipped: 0, failed: 0 },
      { sent: 1, skipped: 0, failed: 0 },
      { sent: 0, skipped: 1, failed: 0 },
    ]);
    const mail = await readMailbox(mailDir);
    expect(mail.map((m) => [m.to, m.subject, m.messageId])).toEqual([
      ['eve@example.com', `BUY AAPL (sma_cross) on ${d3}`, `<${deliveryMessageId('daily', d4, eve)}>`],
    ]);
    const missed = mail[0].text.split('Missed while the daily job was not running (caught up in this run):');
    expect(missed).toHaveLength(2);
    expect(missed[0]).toContain('- none on this day');
    expect(missed[1]).toContain(`- BUY AAPL on ${d3} according to sma_cross (v1): close`);
  });

  it("runs a `recommended` subscription with the recommendation's own parameters beside the configured strategy of the same name", async () => {
    const recommendations = new PostgresRecommendationRepository(t.db);
    const params = { fast: 2, slow: 5, trend: 20 };
    const evidence = {
      windows: 0,
      options: { trainDays: 504, testDays: 126, stepDays: 126, minTrainTrades: 2, minTestTrades: 4 },
      baseline: null,
      candidates: [],
    };
    const rita = await subscribe('rita@example.com', [['AAPL', 'recommended']]);
    // Made after she subscribed: news for her first email.
    await recommendations.save({
      runId: 'rec-1',
      recommendations: [{ ticker: 'AAPL', asOf: '2010-11-26', strategy: 'sma_cross', params, reason: null, evidence }],
    });
    try {
      const days = ['2010-11-26', ...tradingDays(nextTradingDay('2010-11-26'), '2010-12-17')];
      const mailByDay = new Map<IsoDate, ReceivedEmail[]>();
      await withWorker(async () => {
        let seen = 0;
        for (const date of days) {
          await runDaily({ date });
          const mailbox = await readMailbox(mailDir);
          mailByDay.set(date, mailbox.slice(seen));
          seen = mailbox.length;
        }
      });
      const bars = await prices.bars('AAPL', { to: days[days.length - 1] });
      const byParams = new Map(runStrategy('sma_cross', params, bars).records.map((r) => [r.date, r]));
      const stored = await signals.list({ ticker: 'AAPL' });
      const recommended = stored.filter((s) => s.strategy === 'recommended:sma_cross');
      expect(recommended.map((s) => [s.date, s.signal, s.inputs])).toEqual(
        days.map((d) => [d, byParams.get(d)!.signal, byParams.get(d)!.inputs]),
      );
      // The configured sma_cross keeps its default parameters (its BUY of 2010-11-29 is not the recommendation's).
      const byDefault = await replay('sma_cross', days[days.length - 1]);
      expect(stored.filter((s) => s.strategy === 'sma_cross').map((s) => [s.date, s.signal])).toEqual(
        days.map((d) => [d, byDefault.get(d)!.signal]),
      );
      const actions = (list: typeof stored) =>
        list.filter((s) => s.signal === 'BUY' || s.signal === 'SELL').map((s) => `${s.date} ${s.signal}`);
      expect(actions(recommended)).toEqual(['2010-12-02 BUY', '2010-12-15 SELL', '2010-12-17 BUY']);
      expect(actions(stored.filter((s) => s.strategy === 'sma_cross'))).toEqual(['2010-11-29 BUY']);

      // Rita gets the recommendation's signals, and only those, named by their strategy (not its internal label).
      const ritas = [...mailByDay.values()].flat().filter((m) => m.to === 'rita@example.com');
      expect(ritas.map((m) => m.subject)).toEqual([
        'BUY AAPL (sma_cross) on 2010-12-02',
        'SELL AAPL (sma_cross) on 2010-12-15',
        'BUY AAPL (sma_cross) on 2010-12-17',
      ]);
      expect(ritas[0].text).toContain(
        '- now is a good time to BUY AAPL on 2010-12-02 according to sma_cross (recommended) (v1)',
      );
      // (Links may carry the label; what people read does not.)
      for (const m of ritas)
        expect([m.subject, ...m.text.split('\n').filter((l) => !l.includes('http'))].join('\n')).not.toContain(
          'recommended:',
        );
      expect(ritas[0].text).toContain('Recommendation for AAPL changed: now sma_cross (fast=2, slow=5, trend=20)');
      expect(ritas[1].text).not.toContain('Recommendation for AAPL changed');
      expect(ritas.map((m) => m.messageId)).toEqual(
        ['2010-12-02', '2010-12-15', '2010-12-17'].map((d) => `<${deliveryMessageId('daily', d, rita)}>`),
      );
    } finally {
      await t.db.deleteFrom('recommendations').execute();
    }
  });

  it('gives identical signals after Redis is flushed and rebuilt from Postgres', async () => {
    const [a, b, c, d] = ['2010-12-17', '2010-12-20', '2010-12-21', '2010-12-22'];
    await withWorker(async () => {
      await runDaily({ date: a });
      await runDaily({ date: b });
    });
    const keys = SEED_STRATEGIES.map((strategy) => ({ ticker: 'AAPL', strategy }));
    const before = await services.deps.states.getMany(keys);
    expect(before.size).toBe(2);

    expect(await services.deps.states.clear()).toBe(2);
    expect((await services.deps.states.getMany(keys)).size).toBe(0);
    expect(await rebuildStrategyStates(services.deps, ['AAPL'])).toEqual({ cleared: 0, rebuilt: 2 });
    expect(await services.deps.states.getMany(keys)).toEqual(before);

    await withWorker(async () => {
      await runDaily({ date: c });
      await runDaily({ date: d });
    });
    const stored = await signals.list({});
    for (const strategy of SEED_STRATEGIES) {
      const control = await replay(strategy, d);
      expect(stored.filter((s) => s.strategy === strategy).map((s) => [s.date, s.signal, s.inputs])).toEqual(
        [a, b, c, d].map((day) => [day, control.get(day)!.signal, control.get(day)!.inputs]),
      );
    }
    expect(stored.filter((s) => s.date === d).map((s) => `${s.strategy} ${s.signal}`)).toEqual([
      'macd_cross BUY',
      'sma_cross HOLD',
    ]);
  });

  it('notifyTickerWorkflow emails each confirmed subscriber of the ticker its latest signals, once however often asked', async () => {
    await withWorker(async () => {
      await runDaily({ date: '2010-12-01' });
      await runDaily({ date: '2010-12-02' });
    });
    const ann = await subscribe('ann@example.com', [
      ['AAPL', 'sma_cross'],
      ['AAPL', 'macd_cross'],
    ]);
    const bob = await subscribe('bob@example.com', [['AAPL', 'macd_cross']]);
    await subscribe('carl@example.com', [['AAPL', 'macd_cross']], false);
    await subscribe('dora@example.com', [['AAPL', 'sma_cross']]);
    await subscribe('eve@example.com', [['MSFT', 'macd_cross']]);

    const [once, twice] = await withWorker(async () => [
      await notifyTicker({ ticker: 'AAPL' }),
      await notifyTicker({ ticker: 'AAPL' }),
    ]);
    expect(once).toEqual({ ticker: 'AAPL', date: '2010-12-02', notifications: { sent: 2, skipped: 0, failed: 0 } });
    expect(twice).toEqual({ ticker: 'AAPL', date: '2010-12-02', notifications: { sent: 0, skipped: 2, failed: 0 } });

    const mail = await readMailbox(mailDir);
    expect(mail.map((m) => [m.to, m.subject, m.messageId]).sort()).toEqual([
      [
        'ann@example.com',
        'BUY AAPL (macd_cross) on 2010-12-02',
        `<${deliveryMessageId('notification:AAPL', '2010-12-02', ann)}>`,
      ],
      [
        'bob@example.com',
        'BUY AAPL (macd_cross) on 2010-12-02',
        `<${deliveryMessageId('notification:AAPL', '2010-12-02', bob)}>`,
      ],
    ]);
    const none = await withWorker(() => notifyTicker({ ticker: 'MSFT' }));
    expect(none).toEqual({ ticker: 'MSFT', date: null, notifications: { sent: 0, skipped: 0, failed: 0 } });
  });
});
