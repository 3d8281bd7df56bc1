import fs from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { AppConfig } from '../src/config/config';
import type { Database } from '../src/adapters/postgres/database';
import { parsePriceCsv } from '../src/adapters/market-data/csv-market-data.provider';
import { validatePriceRows } from '../src/domain/price-validation';
import { enrichBars } from '../src/domain/indicators';
import { BarSeries, runStrategy } from '../src/domain/strategies';
import type { IngestPricesInput, IngestPricesResult } from '../src/workflows/ingest-prices.workflow';
import type { DailyRunInput, DailyRunResult } from '../src/workflows/daily-run.workflow';
import { notificationsWorkflowId } from '../src/workflows/workflow-ids';
import {
  benchConfig,
  Cleanup,
  clearRedisPrefix,
  createBenchDatabase,
  duration,
  log,
  num,
  SP500_DIR,
  startBenchMailSink,
  startBenchTemporal,
  since,
  startBenchWorker,
  type BenchRow,
  type BenchWorker,
} from './support';
import { NodemailerMailer } from '../src/adapters/email/nodemailer-mailer';
import { composeDigest } from '../src/domain/notifications/digest';
import type { DigestRecipient } from '../src/domain/ports';
import { configuredStrategies } from '../src/domain/strategies/configured-strategies';

/** Issue 3 item 13 targets, from the start of the run. */
const SIGNALS_TARGET_MS = 10_000;
const EMAILS_TARGET_MS = 20_000;
const SUBSCRIBERS = 10_000;
const PREVIOUS_DAY = '2018-02-06';
const RUN_DATE = '2018-02-07';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A small deterministic PRNG (mulberry32): the same subscribers on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pair {
  ticker: string;
  strategy: string;
}

/**
 * A dry evaluation, in process and outside the timed run: every configured
 * strategy replayed over each ticker's history up to the run date. Returns
 * the (ticker, strategy) pairs whose signal on the run date is BUY or SELL.
 */
async function signalPairs(tickers: readonly string[], config: AppConfig): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (const ticker of tickers) {
    const file = path.join(SP500_DIR, `${ticker}_data.csv`);
    const { bars } = validatePriceRows(parsePriceCsv(await fs.readFile(file, 'utf8'), file), { asOf: RUN_DATE });
    const series = BarSeries.from(enrichBars(bars, []));
    if (series.dates[series.length - 1] !== RUN_DATE) continue;
    for (const plan of configuredStrategies(config.strategies, ticker)) {
      const { records } = runStrategy(plan.name, plan.params, series);
      const last = records[records.length - 1];
      if (last && (last.signal === 'BUY' || last.signal === 'SELL')) pairs.push({ ticker, strategy: plan.name });
    }
  }
  return pairs;
}

/**
 * 10,000 confirmed subscribers, each following one pair that has a BUY or
 * SELL on the run date (round robin, so they spread over every such pair)
 * and 0 to 2 more pairs drawn from every ticker and configured strategy.
 */
async function insertSubscribers(
  db: Kysely<Database>,
  tickers: readonly string[],
  strategies: readonly string[],
  withSignal: readonly Pair[],
): Promise<number> {
  const next = random(20180207);
  const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}@example.com`);
  const { rows } = await sql<{ id: string; email: string }>`
    insert into subscribers (email, status, confirmed_at)
    select e, 'confirmed', now() from unnest(${emails}::text[]) as e
    returning id, email`.execute(db);
  const ids: number[] = [];
  const subTickers: string[] = [];
  const subStrategies: string[] = [];
  rows.forEach((row, i) => {
    const follow = [withSignal[i % withSignal.length]];
    const extra = Math.floor(next() * 3);
    for (let k = 0; k < extra; k++) {
      follow.push({
        ticker: tickers[Math.floor(next() * tickers.length)],
        strategy: strategies[Math.floor(next() * strategies.length)],
      });
    }
    for (const p of new Map(follow.map((f) => [`${f.ticker}|${f.strategy}`, f])).values()) {
      ids.push(Number(row.id));
      subTickers.push(p.ticker);
      subStrategies.push(p.strategy);
    }
  });
  await sql`
    insert into subscriptions (subscriber_id, ticker, strategy)
    select * from unnest(${ids}::int8[], ${subTickers}::text[], ${subStrategies}::text[])`.execute(db);
  return ids.length;
}

/** `20240105T213000123Z-<hash>.eml` (the sink names files by arrival time) -> epoch ms. */
function arrivalOf(file: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(file);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) : NaN;
}

/** The `.eml` files in `dir` (headers only): count, distinct Message-IDs and recipients, last arrival. */
async function countMessages(
  dir: string,
): Promise<{ files: number; messageIds: number; recipients: number; missingIds: number; lastArrival: number }> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.eml') && !f.startsWith('.'));
  const ids = new Set<string>();
  const recipients = new Set<string>();
  let missingIds = 0;
  for (let i = 0; i < files.length; i += 64) {
    const heads = await Promise.all(
      files.slice(i, i + 64).map(async (f) => {
        const text = await fs.readFile(path.join(dir, f), 'utf8');
        const end = text.indexOf('\r\n\r\n');
        return end < 0 ? text : text.slice(0, end);
      }),
    );
    for (const head of heads) {
      const id = /^Message-ID:\s*(\S+)/im.exec(head)?.[1];
      if (id) ids.add(id);
      else missingIds++;
      const to = /^Delivered-To:\s*(\S+)/im.exec(head)?.[1];
      if (to) recipients.add(to);
    }
  }
  const lastArrival = files.reduce((last, f) => Math.max(last, arrivalOf(f)), Number.NEGATIVE_INFINITY);
  return { files: files.length, messageIds: ids.size, recipients: recipients.size, missingIds, lastArrival };
}

/** Sends in flight in the direct-send baseline: the worker's 8 email activities x 10 sends each. */
const DIRECT_CONCURRENCY = 80;

/**
 * The baseline of the email stage: every recipient of the run's digest
 * (read first, untimed), composed and sent through a fresh mailer with the
 * worker's settings to the sink on `port`, DIRECT_CONCURRENCY at once, with
 * no Temporal, no delivery claims and no marks. Returns the milliseconds of
 * composing and sending.
 */
async function sendDirectly(deps: BenchWorker['deps'], port: number, config: AppConfig): Promise<number> {
  const signals = { runDate: RUN_DATE };
  const recipients: DigestRecipient[] = [];
  for (const page of await deps.deliveries.recipientPages({ signals, pageSize: 1000 }))
    recipients.push(...(await deps.deliveries.recipients({ signals, page })));
  const mailer = new NodemailerMailer({ host: config.mail.host, port, secure: false, from: config.mail.from });
  try {
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: DIRECT_CONCURRENCY }, async () => {
        for (let r = recipients[next++]; r !== undefined; r = recipients[next++]) {
          const link = deps.links.unsubscribe(r);
          const content = composeDigest({
            date: RUN_DATE,
            email: r.email,
            signals: r.signals,
            unsubscribeUrl: link.url,
          });
          await mailer.send({
            messageId: `baseline.${r.subscriberId}@bench`,
            to: r.email,
            ...content,
            headers: link.headers,
          });
        }
      }),
    );
    return since(start);
  } finally {
    mailer.close();
  }
}

/** Stage boundaries of a daily run, in epoch milliseconds, from its workflow history. */
interface Stages {
  started: number;
  ingestion: [number, number];
  evaluation: [number, number];
  runSummary: [number, number];
  emails: [number, number];
  completed: number;
  emailActivities: number;
}

/** Activities and child workflows of one history: span (first scheduled/initiated to last completed) and count, by type name. */
function scanHistory(events: readonly HistoryEvent[]) {
  const time = (e: HistoryEvent) => tsToMs(e.eventTime);
  const opened = new Map<number, { name: string; at: number }>();
  const spans = new Map<string, [number, number]>();
  const counts = new Map<string, number>();
  const open = (id: number, name: string, at: number) => {
    opened.set(id, { name, at });
    counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  const close = (openedId: number, at: number) => {
    const o = opened.get(openedId);
    if (!o) return;
    const span = spans.get(o.name);
    spans.set(o.name, span ? [Math.min(span[0], o.at), Math.max(span[1], at)] : [o.at, at]);
  };
  let started = NaN;
  let completed = NaN;
  for (const e of events) {
    const id = Number(e.eventId);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        started = time(e);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        completed = time(e);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        open(id, e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', time(e));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        close(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId), time(e));
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        open(id, e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? '?', time(e));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        close(Number(e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId), time(e));
        break;
    }
  }
  const span = (name: string): [number, number] => spans.get(name) ?? [NaN, NaN];
  return { started, completed, span, count: (name: string) => counts.get(name) ?? 0 };
}

/** Stage boundaries of the daily run of `handle`; the email activities are counted in its fan-out child `emails`. */
async function stagesOf(handle: WorkflowHandle, emails: WorkflowHandle): Promise<Stages> {
  const run = scanHistory((await handle.fetchHistory()).events ?? []);
  const fanOut = scanHistory((await emails.fetchHistory()).events ?? []);
  return {
    started: run.started,
    ingestion: run.span('ingestPricesWorkflow'),
    evaluation: run.span('evaluateStrategies'),
    runSummary: run.span('runSignalSummary'),
    emails: run.span('sendNotificationsWorkflow'),
    completed: run.completed,
    emailActivities: fanOut.count('sendNotifications'),
  };
}

/**
 * Issue 3 item 13: from a database holding all 505 S&P tickers up to the day
 * before (and warm strategy state), a daily run over all of them with every
 * configured strategy and 10,000 confirmed subscribers: time per stage and in
 * total, signals recorded within 10 s, every email in the local sink within
 * 20 s, zero duplicates.
 */
export async function dailyBench(): Promise<BenchRow[]> {
  const cleanup = new Cleanup();
  try {
    log('daily: starting Temporal, a private database, a mail sink and a worker');
    const [env, database, mail] = await Promise.all([
      startBenchTemporal(),
      createBenchDatabase('daily'),
      startBenchMailSink(),
    ]);
    cleanup.add(() => env.teardown());
    cleanup.add(() => database.destroy());
    cleanup.add(() => mail.remove());
    const { db } = database;
    const config = benchConfig({
      databaseUrl: database.url,
      temporalAddress: env.address,
      csvDir: SP500_DIR,
      smtpPort: mail.port,
    });
    cleanup.add(() => clearRedisPrefix(config.redis.url, config.redis.keyPrefix));
    const tickers = (await fs.readdir(SP500_DIR))
      .filter((f) => f.endsWith('_data.csv'))
      .map((f) => f.replace(/_data\.csv$/, ''))
      .sort();
    // The daily job tracks every S&P ticker (a Schedule would start it with `{}`).
    config.tickers = tickers;
    const worker = await startBenchWorker(env, config);
    cleanup.add(() => worker.stop());
    const client = env.client.workflow;
    const taskQueue = config.temporal.taskQueue;

    log(
      `daily: setup: ingest ${tickers.length} tickers up to ${PREVIOUS_DAY}, warm the strategy state with a run for ${PREVIOUS_DAY}`,
    );
    const ingestInput: IngestPricesInput = {
      provider: 'csv',
      csvDir: SP500_DIR,
      asOf: PREVIOUS_DAY,
      batchSize: config.ingestion.batchSize,
      maxConcurrentBatches: config.ingestion.maxConcurrentBatches,
    };
    const ingested = (await client.execute('ingestPricesWorkflow', {
      taskQueue,
      workflowId: `bench-setup-ingest-${Date.now()}`,
      args: [ingestInput],
    })) as IngestPricesResult;
    const notOk = ingested.tickers.filter((t) => t.status !== 'ok');
    if (notOk.length > 0) throw new Error(`setup ingestion failed for ${notOk.map((t) => t.ticker).join(', ')}`);
    const runInput = (date: string): DailyRunInput => ({
      date,
      provider: 'csv',
      csvDir: SP500_DIR,
      batchSize: config.ingestion.batchSize,
      emailBatchSize: config.mail.batchSize,
    });
    await client.execute('dailyRunWorkflow', {
      taskQueue,
      workflowId: `bench-setup-daily-${Date.now()}`,
      args: [runInput(PREVIOUS_DAY)],
    });

    log(`daily: setup: dry evaluation of ${RUN_DATE} and ${num(SUBSCRIBERS)} subscribers`);
    const strategies = [...new Set(config.strategies.default.map((s) => s.name))];
    const dryStart = performance.now();
    const withSignal = await signalPairs(tickers, config);
    const dryEvaluationMs = since(dryStart);
    if (withSignal.length === 0) throw new Error(`no (ticker, strategy) pair has a BUY or SELL on ${RUN_DATE}`);
    const subscriptions = await insertSubscribers(db, tickers, strategies, withSignal);
    await sql`analyze`.execute(db);

    log(`daily: timed dailyRunWorkflow for ${RUN_DATE}`);
    const start = Date.now();
    const handle = await client.start('dailyRunWorkflow', {
      taskQueue,
      workflowId: `bench-daily-${RUN_DATE}-${start}`,
      args: [runInput(RUN_DATE)],
    });
    const result = (await handle.result()) as DailyRunResult;
    const totalMs = Date.now() - start;
    const stages = await stagesOf(handle, client.getHandle(notificationsWorkflowId({ kind: 'daily', date: RUN_DATE })));

    log(
      `daily: baseline: the same ${num(SUBSCRIBERS)} digests composed and sent straight to a second sink (no Temporal, no claims)`,
    );
    const baseline = await startBenchMailSink();
    cleanup.add(() => baseline.remove());
    const baselineMs = await sendDirectly(worker.deps, baseline.port, config);
    const baselineMessages = await countMessages(baseline.dir);

    const signalRows = await db
      .selectFrom('signals')
      .select(['signal', (eb) => eb.fn.countAll<string>().as('n')])
      .where('date', '=', RUN_DATE)
      .groupBy('signal')
      .execute();
    const bySignal = Object.fromEntries(signalRows.map((r) => [r.signal, Number(r.n)]));
    const recordedSignals = signalRows.reduce((n, r) => n + Number(r.n), 0);
    const emitted = (bySignal.BUY ?? 0) + (bySignal.SELL ?? 0);
    if (emitted !== withSignal.length)
      throw new Error(`the run recorded ${emitted} BUY/SELL signals, the dry evaluation found ${withSignal.length}`);
    const sentRows = await db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('run_date', '=', RUN_DATE)
      .where('status', '=', 'sent')
      .executeTakeFirstOrThrow();
    const messages = await countMessages(mail.dir);
    const duplicates = messages.files - messages.messageIds + messages.missingIds;

    const rel = (t: number) => t - start;
    const span = ([from, to]: [number, number]) =>
      `${duration(to - from)} (${num(rel(from) / 1000, 2)}-${num(rel(to) / 1000, 2)} s)`;
    const signalsAtMs = rel(stages.evaluation[1]);
    // The sink names each file by its arrival time: the last one is when the last email was delivered.
    const emailsAtMs = messages.files >= SUBSCRIBERS ? rel(messages.lastArrival) : NaN;
    const notOkTickers = result.tickers.filter((t) => t.ingestion !== 'ok' || t.evaluation !== 'ok');
    return [
      {
        figure: 'daily: tickers x strategies / subscribers / subscriptions',
        value: `${tickers.length} x ${strategies.length} / ${num(SUBSCRIBERS)} / ${num(subscriptions)}`,
      },
      {
        figure: `daily: signals on ${RUN_DATE}: recorded / BUY+SELL`,
        value: `${num(recordedSignals)} / ${emitted} (${bySignal.BUY ?? 0} BUY, ${bySignal.SELL ?? 0} SELL)`,
      },
      {
        figure: 'daily: tickers not ok',
        value: notOkTickers.length === 0 ? 'none' : notOkTickers.map((t) => t.ticker).join(', '),
      },
      { figure: 'daily: stage ingestion (child workflow)', value: span(stages.ingestion) },
      { figure: 'daily: stage evaluation (strategies, signals)', value: span(stages.evaluation) },
      { figure: 'daily: stage runSignalSummary (run report)', value: span(stages.runSummary) },
      {
        figure: `daily: stage emails (child workflow, ${stages.emailActivities} activities of ${config.mail.batchSize})`,
        value: span(stages.emails),
      },
      { figure: 'daily: total (start to result)', value: duration(totalMs) },
      {
        figure: 'daily: signals recorded, from the start',
        value: duration(signalsAtMs),
        target: `<= ${duration(SIGNALS_TARGET_MS)}`,
        met: signalsAtMs <= SIGNALS_TARGET_MS,
      },
      {
        figure: `daily: ${num(SUBSCRIBERS)} emails in the sink, from the start`,
        value: Number.isNaN(emailsAtMs) ? 'never' : duration(emailsAtMs),
        target: `<= ${duration(EMAILS_TARGET_MS)}`,
        met: emailsAtMs <= EMAILS_TARGET_MS,
      },
      {
        figure: 'daily: emails per second (email stage)',
        value: num((result.notifications.sent / (stages.emails[1] - stages.emails[0])) * 1000),
      },
      {
        figure: `daily: baseline: ${num(baselineMessages.files)} digests composed + sent directly (same mailer, ${DIRECT_CONCURRENCY} at once)`,
        value: duration(baselineMs),
      },
      {
        figure: 'daily: email stage / direct-send baseline',
        value: `${num((stages.emails[1] - stages.emails[0]) / baselineMs, 2)}x`,
      },
      {
        figure: `daily: baseline: dry evaluation in process (CSV, enrich, ${strategies.length} strategies, ${tickers.length} tickers)`,
        value: duration(dryEvaluationMs),
      },
      {
        figure: 'daily: evaluation stage / dry-evaluation baseline',
        value: `${num((stages.evaluation[1] - stages.evaluation[0]) / dryEvaluationMs, 2)}x`,
      },
      {
        figure: 'daily: sent (workflow) / sent (deliveries) / .eml files / distinct Message-IDs / recipients',
        value: `${result.notifications.sent} / ${sentRows.n} / ${messages.files} / ${messages.messageIds} / ${messages.recipients}`,
      },
      {
        figure: 'daily: duplicate emails',
        value: String(duplicates),
        target: '0',
        met: duplicates === 0 && messages.files === SUBSCRIBERS && messages.recipients === SUBSCRIBERS,
      },
    ];
  } finally {
    await cleanup.run();
  }
}
