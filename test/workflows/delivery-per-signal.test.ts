import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config/config';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { deliveryMessageId } from '../../src/domain/notifications/delivery';
import { tradingDays } from '../../src/domain/calendar';
import type { IsoDate } from '../../src/domain/dates';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import type { DailyRunInput, DailyRunResult } from '../../src/workflows/daily-run.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestTemporal } from '../support/temporal';
import { testConfig, withTestWorker } from '../support/worker';
import { readMailbox, tempDir } from '../support/mail';

// Issue 8.1: a delivery carries signals, and each (subscriber, signal) is carried once,
// whatever the order and number of runs of a date: a partial run (some tickers), then
// the full run, then a re-run.
const SP500 = path.resolve(__dirname, '../../../shared/data/sp500_5yr');
const TICKERS = ['AAPL', 'MSFT'];
const STRATEGIES = ['macd_cross', 'sma_cross'];

describe('deliveries keyed by (subscriber, signal) on the real stack', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let config: AppConfig;
  let runs = 0;

  beforeAll(async () => {
    mailDir = tempDir('algo-per-signal-mail-');
    const csvDir = tempDir('algo-per-signal-csv-');
    for (const ticker of TICKERS)
      fs.copyFileSync(path.join(SP500, `${ticker}_data.csv`), path.join(csvDir, `${ticker}.csv`));
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
      tickers: TICKERS,
    });
    config.strategies = { default: STRATEGIES.map((name) => ({ name, params: {} })), perTicker: {} };
  });

  afterAll(async () => {
    await sink?.close();
    await t?.destroy();
    await env?.teardown();
  });

  const runDaily = (input: DailyRunInput) =>
    env.client.workflow.execute('dailyRunWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `daily-${input.date}-${++runs}`,
      args: [input],
    }) as Promise<DailyRunResult>;

  it('partial run, full run, re-run of each date: every BUY/SELL in exactly one email, none twice, one email per run', async () => {
    const subscribers = new PostgresSubscriberRepository(t.db);
    const pairs = TICKERS.flatMap((ticker) => STRATEGIES.map((strategy) => ({ ticker, strategy })));
    const ann = (await subscribers.subscribe({ email: 'ann@example.com', subscriptions: pairs, confirmed: true }))
      .subscriber.id;
    // Ben follows MSFT only: the partial run of AAPL has nothing for him.
    const ben = (
      await subscribers.subscribe({
        email: 'ben@example.com',
        subscriptions: pairs.filter((p) => p.ticker === 'MSFT'),
        confirmed: true,
      })
    ).subscriber.id;

    // Every 8th trading day: each run also catches up the days before it (their signals ride in its digests).
    const days = tradingDays('2013-05-01', '2013-08-30').filter((_, i) => i % 8 === 0);
    const results: Array<{ date: IsoDate; partial: DailyRunResult; full: DailyRunResult; rerun: DailyRunResult }> = [];
    await withTestWorker(env, config, async () => {
      for (const date of days) {
        const partial = await runDaily({ date, tickers: ['AAPL'] });
        const full = await runDaily({ date });
        const rerun = await runDaily({ date });
        results.push({ date, partial, full, rerun });
      }
    });

    const signals = await t.db
      .selectFrom('signals')
      .select(['date', 'ticker', 'strategy', 'signal', 'run_date'])
      .where('signal', 'in', ['BUY', 'SELL'])
      .orderBy('date')
      .orderBy('ticker')
      .orderBy('strategy')
      .execute();
    const mail = await readMailbox(mailDir);
    const mentions = (m: (typeof mail)[number], s: (typeof signals)[number]) =>
      m.text.includes(`${s.signal} ${s.ticker} on ${s.date} according to ${s.strategy} `);
    for (const [email, tickers] of [
      ['ann@example.com', TICKERS],
      ['ben@example.com', ['MSFT']],
    ] as const) {
      const theirs = signals.filter((s) => (tickers as readonly string[]).includes(s.ticker));
      const inbox = mail.filter((m) => m.to === email);
      for (const s of theirs)
        expect([`${s.date} ${s.ticker} ${s.strategy}`, inbox.filter((m) => mentions(m, s)).length]).toEqual([
          `${s.date} ${s.ticker} ${s.strategy}`,
          1,
        ]);
      // Nothing else was emailed to them.
      const mentioned = inbox.reduce((n, m) => n + signals.filter((s) => mentions(m, s)).length, 0);
      expect(mentioned).toBe(theirs.length);
    }
    expect(new Set(mail.map((m) => m.messageId)).size).toBe(mail.length);

    // The sequence really happened: some date had a BUY/SELL of each ticker, so the full run sent a second digest.
    const aaplDays = new Set(signals.filter((s) => s.ticker === 'AAPL').map((s) => s.run_date));
    const msftDays = new Set(signals.filter((s) => s.ticker === 'MSFT').map((s) => s.run_date));
    const both = days.filter((d) => aaplDays.has(d) && msftDays.has(d));
    expect(both.length).toBeGreaterThan(0);
    for (const { date, partial, full, rerun } of results) {
      expect(partial.notifications.sent).toBe(aaplDays.has(date) ? 1 : 0);
      // The full run sends only what the partial run could not: MSFT's signals, to Ann and Ben.
      expect(full.notifications.sent).toBe(msftDays.has(date) ? 2 : 0);
      expect(rerun.notifications.sent).toBe(0);
    }
    // On such a date Ann has two emails (digest 1 from the partial run, 2 from the full run), Ben one.
    const date = both[0];
    const annOfDate = mail.filter(
      (m) =>
        m.to === 'ann@example.com' &&
        [deliveryMessageId('daily', date, ann), deliveryMessageId('daily', date, ann, 2)]
          .map((id) => `<${id}>`)
          .includes(m.messageId),
    );
    expect(annOfDate).toHaveLength(2);
    expect(mail.filter((m) => m.messageId === `<${deliveryMessageId('daily', date, ben)}>`)).toHaveLength(1);
    const carried = await t.db
      .selectFrom('delivered_signals')
      .select(['date', 'ticker', 'strategy', 'seq'])
      .where('run_date', '=', date)
      .where('subscriber_id', '=', ann)
      .orderBy('date')
      .orderBy('ticker')
      .orderBy('strategy')
      .execute();
    expect(carried.map((c) => [c.date, c.ticker, c.strategy, c.seq])).toEqual(
      signals
        .filter((s) => s.run_date === date)
        .map((s) => [s.date, s.ticker, s.strategy, s.ticker === 'AAPL' ? 1 : 2]),
    );
  }, 600_000);
});
