import { sql, type Kysely } from 'kysely';
import MailComposer from 'nodemailer/lib/mail-composer';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Database } from '../src/adapters/postgres/database';
import {
  createNotificationActivities,
  type NotificationCounts,
  type NotificationDependencies,
} from '../src/activities/notifications.activities';
import { buildMessage, NodemailerMailer } from '../src/adapters/email/nodemailer-mailer';
import { composeDigest } from '../src/domain/notifications/digest';
import { EMAIL_ACTIVITIES_AT_ONCE } from '../src/domain/notifications/fan-out';
import type { DeliveryRepository, DigestRecipient } from '../src/domain/ports';
import type { Mailer } from '../src/domain/mailer';
import { testDependencies } from '../test/support/worker';
import {
  benchConfig,
  Cleanup,
  clearRedisPrefix,
  createBenchDatabase,
  duration,
  log,
  num,
  since,
  processCpuMs,
  startBenchMailSink,
  type BenchMailSink,
  type BenchRow,
} from './support';

const SUBSCRIBERS = 10_000;
const RUN_DATE = '2018-02-07';
const TICKERS = 300;
const STRATEGIES = ['sma_cross', 'macd', 'rsi', 'bollinger', 'breakout'];

/** Sends in flight in the direct-send baseline: the email activities at once x the sends of each. */
const sendsInFlight = (sendConcurrency: number) => EMAIL_ACTIVITIES_AT_ONCE * sendConcurrency;

/**
 * Synthetic signals of the run date (BUY or SELL for every ticker and strategy
 * pair, as `bench daily` records a few hundred) and 10,000 confirmed
 * subscribers following 1 to 3 of them.
 */
async function seed(db: Kysely<Database>): Promise<void> {
  const tickers = Array.from({ length: TICKERS }, (_, i) => `T${String(i).padStart(3, '0')}`);
  const pairs = tickers.flatMap((ticker) => STRATEGIES.map((strategy) => ({ ticker, strategy })));
  const inputs = JSON.stringify({ sma_fast: 101.234, sma_slow: 99.87, rsi: 61.2 });
  await sql`
    insert into signals (date, ticker, strategy, strategy_version, signal, close, inputs, run_date)
    select ${RUN_DATE}::date, t, s, 1, case when (ordinality % 2) = 0 then 'BUY' else 'SELL' end, 100.5, ${inputs}::jsonb, ${RUN_DATE}::date
    from unnest(${pairs.map((p) => p.ticker)}::text[], ${pairs.map((p) => p.strategy)}::text[]) with ordinality as p(t, s, ordinality)`.execute(
    db,
  );
  const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}@example.com`);
  const { rows } = await sql<{ id: string }>`
    insert into subscribers (email, status, confirmed_at)
    select e, 'confirmed', now() from unnest(${emails}::text[]) as e returning id`.execute(db);
  const ids: number[] = [];
  const subTickers: string[] = [];
  const subStrategies: string[] = [];
  rows.forEach((row, i) => {
    for (let k = 0; k <= i % 3; k++) {
      const p = pairs[(i * 7 + k * 131) % pairs.length];
      ids.push(Number(row.id));
      subTickers.push(p.ticker);
      subStrategies.push(p.strategy);
    }
  });
  await sql`
    insert into subscriptions (subscriber_id, ticker, strategy)
    select * from unnest(${ids}::int8[], ${subTickers}::text[], ${subStrategies}::text[])`.execute(db);
  await sql`analyze`.execute(db);
}

/** User + system CPU milliseconds of a `process.cpuUsage()` difference. */
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/**
 * CPU milliseconds used so far by the Postgres backends serving `db`'s
 * database (its pool's connections; a backend that exited is not counted).
 */
async function postgresCpuMs(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
  let ms = 0;
  for (const { pid } of rows) {
    try {
      ms += processCpuMs(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return ms;
}

/** CPU of the three processes of a send: this one (the sender), the sink, the Postgres backends. */
async function cpuNow(db: Kysely<Database>, sink: BenchMailSink) {
  const usage = process.cpuUsage();
  return { sender: cpuMs(usage), sink: sink.cpuMs(), postgres: await postgresCpuMs(db) };
}

/** `a - b` of two {@link cpuNow} readings, in microseconds per message. */
function cpuPerMessage(a: Awaited<ReturnType<typeof cpuNow>>, b: Awaited<ReturnType<typeof cpuNow>>, messages: number) {
  const per = (ms: number) => num((ms / messages) * 1000);
  return `${per(a.sender - b.sender)} / ${per(a.sink - b.sink)} / ${per(a.postgres - b.postgres)} µs`;
}

/** Busy milliseconds and calls of each timed part, summed over every page. */
class Timings {
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();
  async time<T>(part: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.ms.set(part, (this.ms.get(part) ?? 0) + since(start));
      this.calls.set(part, (this.calls.get(part) ?? 0) + 1);
    }
  }
}

/** The repository and mailer of `deps`, each call timed under its part of a page. */
function timed(deps: NotificationDependencies, timings: Timings): NotificationDependencies {
  const d = deps.deliveries;
  const deliveries: DeliveryRepository = Object.assign(Object.create(d) as DeliveryRepository, {
    planDigests: (input: Parameters<DeliveryRepository['planDigests']>[0]) =>
      timings.time('plan', () => d.planDigests(input)),
    markSent: (input: Parameters<DeliveryRepository['markSent']>[0]) => timings.time('record', () => d.markSent(input)),
    sentBy: (input: Parameters<DeliveryRepository['sentBy']>[0]) => timings.time('record', () => d.sentBy(input)),
  });
  const mailer: Mailer = { send: (message) => timings.time('smtp', () => deps.mailer.send(message)) };
  return {
    ...deps,
    deliveries,
    mailer,
    recommendationNotes: deps.recommendationNotes
      ? (ids) => timings.time('notes', () => deps.recommendationNotes!(ids))
      : undefined,
  };
}

/**
 * The email stage without Temporal: the worker's email activity
 * (`sendNotifications`, planning, claims, sends, marks) run in process over
 * every page, `EMAIL_ACTIVITIES_AT_ONCE` pages in flight as the fan-out
 * workflow keeps them, each part of a page timed; beside the direct send of
 * the same digests (no claims, no marks) and the rendering alone. Needs
 * Postgres and Redis only.
 */
export async function emailsBench(): Promise<BenchRow[]> {
  const cleanup = new Cleanup();
  try {
    log('emails: a private database with 10,000 subscribers, two mail sinks');
    const [database, stageSink, directSink] = await Promise.all([
      createBenchDatabase('emails'),
      startBenchMailSink(),
      startBenchMailSink(),
    ]);
    cleanup.add(() => database.destroy());
    cleanup.add(() => stageSink.remove());
    cleanup.add(() => directSink.remove());
    await seed(database.db);
    const config = benchConfig({
      databaseUrl: database.url,
      temporalAddress: '127.0.0.1:1',
      smtpPort: stageSink.port,
    });
    cleanup.add(() => clearRedisPrefix(config.redis.url, config.redis.keyPrefix));
    const built = testDependencies(config);
    cleanup.add(() => built.close());
    const { deps } = built;
    const target = { kind: 'daily', date: RUN_DATE };
    const signals = { runDate: RUN_DATE };
    const pageSize = config.mail.batchSize;

    // The digests as the stage composes them (read untimed).
    const recipients: DigestRecipient[] = [];
    for (const page of await deps.deliveries.recipientPages({ signals, pageSize: 1000 }))
      recipients.push(...(await deps.deliveries.recipients({ signals, page })));
    const compose = (r: DigestRecipient) => {
      const link = deps.links.unsubscribe(r);
      return {
        to: r.email,
        ...composeDigest({
          date: RUN_DATE,
          email: r.email,
          signals: r.signals,
          unsubscribeUrl: link.url,
          manageUrl: deps.links.manage(r),
          signalLink: deps.links.signal,
        }),
        headers: link.headers,
      };
    };
    const renderStart = performance.now();
    const composed = recipients.map(compose);
    const renderMs = since(renderStart);
    // What the mailer does to each before it reaches a socket: the MIME message, built whole.
    const mimeStart = performance.now();
    for (const [i, c] of composed.entries())
      buildMessage(new MailComposer({ ...c, from: config.mail.from, messageId: `<mime.${i}@bench>` }).compile());
    const mimeMs = since(mimeStart);

    log(`emails: direct send of ${num(recipients.length)} digests (${sendsInFlight(deps.sendConcurrency)} at once)`);
    const direct = new NodemailerMailer({
      host: config.mail.host,
      port: directSink.port,
      secure: false,
      from: config.mail.from,
    });
    cleanup.add(async () => direct.close());
    const directCpu = await cpuNow(database.db, directSink);
    const directStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: sendsInFlight(deps.sendConcurrency) }, async () => {
        for (let r = recipients[next++]; r !== undefined; r = recipients[next++])
          await direct.send({ messageId: `direct.${r.subscriberId}@bench`, ...compose(r) });
      }),
    );
    const directMs = since(directStart);
    const directCpuPerMessage = cpuPerMessage(await cpuNow(database.db, directSink), directCpu, recipients.length);

    log(`emails: the email activity over every page of ${pageSize}, ${EMAIL_ACTIVITIES_AT_ONCE} in flight`);
    const timings = new Timings();
    const activities = createNotificationActivities(timed(deps, timings));
    const env = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'emails-daily-bench', runId: 'bench' },
    });
    // The pool's connections open before the CPU reading, so that their backends are counted.
    await Promise.all(Array.from({ length: 16 }, () => sql`select pg_sleep(0.05)`.execute(built.db)));
    const stageCpu = await cpuNow(built.db, stageSink);
    const stageStart = performance.now();
    const pages = await activities.planNotifications({ ...target, pageSize });
    let sent = 0;
    let nextPage = 0;
    await Promise.all(
      Array.from({ length: EMAIL_ACTIVITIES_AT_ONCE }, async () => {
        for (let p = pages[nextPage++]; p !== undefined; p = pages[nextPage++]) {
          const counts: NotificationCounts = await timings.time('page', () =>
            env.run(activities.sendNotifications, { ...target, page: p }),
          );
          sent += counts.sent;
        }
      }),
    );
    const stageMs = since(stageStart);
    const stageCpuPerMessage = cpuPerMessage(await cpuNow(built.db, stageSink), stageCpu, recipients.length);
    if (sent !== recipients.length) throw new Error(`the stage sent ${sent} of ${recipients.length} digests`);

    const perPage = (part: string) => (timings.ms.get(part) ?? 0) / pages.length;
    const pageMs = perPage('page');
    const part = (name: string, what: string): BenchRow => ({
      figure: `emails: per page: ${what} (busy ms / share of the page, ${num(timings.calls.get(name) ?? 0)} calls)`,
      value: `${num(perPage(name), 1)} ms / ${num((perPage(name) / pageMs) * 100)}%`,
    });
    return [
      {
        figure: `emails: direct send, ${num(recipients.length)} digests (${sendsInFlight(deps.sendConcurrency)} at once, no claims)`,
        value: `${duration(directMs)} (${num((recipients.length / directMs) * 1000)}/s)`,
      },
      {
        figure: `emails: email activity in process, ${pages.length} pages of ${pageSize}, ${EMAIL_ACTIVITIES_AT_ONCE} in flight (no Temporal)`,
        value: `${duration(stageMs)} (${num((sent / stageMs) * 1000)}/s)`,
      },
      { figure: 'emails: email activity in process / direct send', value: `${num(stageMs / directMs, 2)}x` },
      {
        figure: 'emails: CPU per message, direct send: sender / sink / Postgres',
        value: directCpuPerMessage,
      },
      {
        figure: 'emails: CPU per message, email activity: sender / sink / Postgres',
        value: stageCpuPerMessage,
      },
      {
        figure: `emails: render alone (digest text and html, links signed), ${num(recipients.length)} one after the other`,
        value: `${duration(renderMs)} (${num((renderMs / recipients.length) * 1000)} µs each)`,
      },
      {
        figure: `emails: MIME build alone (buildMessage over nodemailer's composer, as the mailer does), ${num(recipients.length)} one after the other`,
        value: `${duration(mimeMs)} (${num((mimeMs / recipients.length) * 1000)} µs each)`,
      },
      { figure: 'emails: per page: wall time of one activity', value: `${num(pageMs, 1)} ms` },
      part('plan', 'plan (lock, recipients, claims)'),
      part('notes', 'recommendation notes'),
      part(
        'smtp',
        `sends: MIME build, wait for a connection, SMTP (summed over the ${deps.sendConcurrency} in flight)`,
      ),
      {
        figure: `emails: one send, MIME build and wait for a pooled connection included (mean)`,
        value: `${num((timings.ms.get('smtp') ?? 0) / (timings.calls.get('smtp') ?? 1), 1)} ms`,
      },
      part('record', '"sent" updates and the sent-by check'),
    ];
  } finally {
    await cleanup.run();
  }
}
