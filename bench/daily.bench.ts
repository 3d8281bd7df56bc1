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
  CpuTimeline,
  clearRedisPrefix,
  createBenchDatabase,
  duration,
  log,
  num,
  SP500_DIR,
  startBenchMailSink,
  since,
  type BenchRow,
} from './support';
import { startBenchTemporalServer, type BenchServerMode } from './temporal-servers';
import { killWorkerProcess, startWorkerProcess, type WorkerProcessEnv } from '../test/support/daily-run';
import { testDependencies } from '../test/support/worker';
import { NodemailerMailer } from '../src/adapters/email/nodemailer-mailer';
import { composeDigest } from '../src/domain/notifications/digest';
import type { DigestRecipient } from '../src/domain/ports';
import { configuredStrategies } from '../src/domain/strategies/configured-strategies';
import { EMAIL_ACTIVITIES_AT_ONCE } from '../src/domain/notifications/fan-out';

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

export interface Pair {
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
 * `count` confirmed subscribers (10,000 here), each following one pair that
 * has a BUY or SELL on the run date (round robin, so they spread over every
 * such pair) and 0 to 2 more pairs drawn from every ticker and configured
 * strategy. Returns the number of subscriptions.
 */
export async function insertSubscribers(
  db: Kysely<Database>,
  tickers: readonly string[],
  strategies: readonly string[],
  withSignal: readonly Pair[],
  count = SUBSCRIBERS,
): Promise<number> {
  const next = random(20180207);
  const emails = Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}@example.com`);
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
export async function countMessages(
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
async function sendDirectly(
  deps: ReturnType<typeof testDependencies>['deps'],
  port: number,
  config: AppConfig,
): Promise<number> {
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
  fanOut: FanOutBreakdown;
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

/**
 * Where the email child's time goes, from its history: how long each email
 * activity waited to be picked up (scheduled to started) and ran (started
 * to completed), how long a lane stood empty between one page's completion
 * and its next page's scheduling (a workflow task), and how full the lanes
 * were over the span of the sends.
 */
export interface FanOutBreakdown {
  pages: number;
  /** Child start to the first email activity scheduled (the planning activity and its workflow tasks). */
  planMs: number;
  meanPickupMs: number;
  meanRunMs: number;
  /** Mean time from a page's completion to the next page's scheduling. */
  meanRefillMs: number;
  /** Sum over pages of scheduled-to-completed over lanes x the span of the sends. */
  laneFill: number;
}

export function fanOutBreakdown(events: readonly HistoryEvent[], lanes: number): FanOutBreakdown {
  const time = (e: HistoryEvent) => tsToMs(e.eventTime);
  let started = NaN;
  const scheduled = new Map<number, number>();
  const pages: Array<{ scheduled: number; started: number; completed: number }> = [];
  const startedAt = new Map<number, number>();
  const schedules: number[] = [];
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) started = time(e);
    else if (
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendNotifications'
    ) {
      scheduled.set(Number(e.eventId), time(e));
      schedules.push(time(e));
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const id = Number(e.activityTaskStartedEventAttributes?.scheduledEventId);
      if (scheduled.has(id)) startedAt.set(id, time(e));
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const id = Number(e.activityTaskCompletedEventAttributes?.scheduledEventId);
      const at = scheduled.get(id);
      if (at !== undefined) pages.push({ scheduled: at, started: startedAt.get(id) ?? NaN, completed: time(e) });
    }
  }
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  const first = Math.min(...schedules);
  const last = Math.max(...pages.map((p) => p.completed));
  // Each completion but the last `lanes` ones frees a lane that the next scheduling refills.
  const completions = pages.map((p) => p.completed).sort((a, b) => a - b);
  const refills = schedules
    .slice(lanes)
    .sort((a, b) => a - b)
    .map((at, i) => at - completions[i]);
  return {
    pages: pages.length,
    planMs: first - started,
    meanPickupMs: mean(pages.map((p) => p.started - p.scheduled)),
    meanRunMs: mean(pages.map((p) => p.completed - p.started)),
    meanRefillMs: mean(refills),
    laneFill: pages.reduce((sum, p) => sum + (p.completed - p.scheduled), 0) / (lanes * (last - first)),
  };
}

/** Stage boundaries of the daily run of `handle`; the email activities are counted in its fan-out child `emails`. */
async function stagesOf(handle: WorkflowHandle, emails: WorkflowHandle): Promise<Stages> {
  const run = scanHistory((await handle.fetchHistory()).events ?? []);
  const fanOutEvents = (await emails.fetchHistory()).events ?? [];
  const fanOut = scanHistory(fanOutEvents);
  return {
    started: run.started,
    ingestion: run.span('ingestPricesWorkflow'),
    evaluation: run.span('evaluateStrategies'),
    runSummary: run.span('runSignalSummary'),
    emails: run.span('sendNotificationsWorkflow'),
    completed: run.completed,
    emailActivities: fanOut.count('sendNotifications'),
    fanOut: fanOutBreakdown(fanOutEvents, EMAIL_ACTIVITIES_AT_ONCE),
  };
}

/** One setting of the daily benchmark: which Temporal server, how many worker processes. */
interface Scenario {
  server: BenchServerMode;
  workers: 1 | 2;
}

/**
 * The four settings, measured one after the other in one run, in the order
 * dev, postgres, postgres, dev: each pair that a ratio compares runs side by
 * side, and each server runs first once. On a machine whose processes use
 * more CPU a message the longer a run goes on (seen on two machines here),
 * running both dev settings first made production mode look up to 1.4x
 * slower than it was.
 */
const SCENARIOS: readonly Scenario[] = [
  { server: 'dev', workers: 1 },
  { server: 'postgres', workers: 1 },
  { server: 'postgres', workers: 2 },
  { server: 'dev', workers: 2 },
];

/**
 * The settings named in `BENCH_DAILY_SETTINGS` (`dev-1,postgres-2`: server and
 * workers), to look into one of them; all four when unset.
 */
function chosenScenarios(): readonly Scenario[] {
  const names = process.env.BENCH_DAILY_SETTINGS?.split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (!names?.length) return SCENARIOS;
  const byName = new Map(SCENARIOS.map((s) => [`${s.server}-${s.workers}`, s]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0)
    throw new Error(`BENCH_DAILY_SETTINGS: unknown ${unknown.join(', ')}; known: ${[...byName.keys()].join(', ')}`);
  return names.map((n) => byName.get(n)!);
}

/** Issue 17: production mode (the server on Postgres) within 1.3x of the dev server. */
const PRODUCTION_RATIO_TARGET = 1.3;
/** Issue 17: the email stage with no send-rate limit, messages a second to the local sink. */
const EMAILS_PER_SECOND_TARGET = 1_000;

const scenarioName = (s: Scenario) =>
  `${s.server === 'dev' ? 'dev server' : 'postgres server'}, ${s.workers} worker${s.workers > 1 ? 's' : ''}`;

/** What one scenario measured, for its own rows and the ratios between scenarios. */
interface ScenarioResult {
  scenario: Scenario;
  rows: BenchRow[];
  totalMs: number;
  signalsAtMs: number;
  evaluationMs: number;
  emailStageMs: number;
  emailsPerSecond: number;
}

/** The S&P tickers of the shared data set, sorted. */
async function sp500Tickers(): Promise<string[]> {
  return (await fs.readdir(SP500_DIR))
    .filter((f) => f.endsWith('_data.csv'))
    .map((f) => f.replace(/_data\.csv$/, ''))
    .sort();
}

/**
 * Issue 3 item 13 on one scenario: from a database holding all 505 S&P
 * tickers up to the day before (and warm strategy state), a daily run over
 * all of them with every configured strategy and 10,000 confirmed
 * subscribers, on the scenario's Temporal server with its number of worker
 * processes (`src/worker.ts`, as `npm run worker` runs them): time per stage
 * and in total, signals recorded within 10 s, every email in the local sink
 * within 20 s, zero duplicates. `baseline` (the first scenario) also sends
 * the same digests straight to a second sink.
 */
async function runScenario(
  scenario: Scenario,
  tickers: readonly string[],
  withSignal: readonly Pair[],
  baseline: boolean,
): Promise<ScenarioResult & { baselineRows: BenchRow[] }> {
  const name = scenarioName(scenario);
  const cleanup = new Cleanup();
  try {
    log(`daily [${name}]: starting Temporal, a private database, a mail sink and ${scenario.workers} worker(s)`);
    const [temporal, database, mail] = await Promise.all([
      startBenchTemporalServer(scenario.server),
      createBenchDatabase('daily'),
      startBenchMailSink(),
    ]);
    cleanup.add(() => temporal.teardown());
    cleanup.add(() => database.destroy());
    cleanup.add(() => mail.remove());
    const { db } = database;
    const config = benchConfig({
      databaseUrl: database.url,
      temporalAddress: temporal.address,
      csvDir: SP500_DIR,
      smtpPort: mail.port,
    });
    cleanup.add(() => clearRedisPrefix(config.redis.url, config.redis.keyPrefix));
    // The daily job tracks every S&P ticker (a Schedule would start it with `{}`).
    config.tickers = [...tickers];
    const workerEnv: WorkerProcessEnv = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      ALGO_CSV_DIR: SP500_DIR,
      ALGO_TICKERS: tickers.join(','),
      SMTP_PORT: String(mail.port),
    };
    const workers = await Promise.all(Array.from({ length: scenario.workers }, () => startWorkerProcess(workerEnv)));
    for (const worker of workers) cleanup.add(() => killWorkerProcess(worker, 'SIGTERM'));
    const client = temporal.client.workflow;
    const taskQueue = config.temporal.taskQueue;

    log(
      `daily [${name}]: setup: ingest ${tickers.length} tickers up to ${PREVIOUS_DAY}, warm the strategy state with a run for ${PREVIOUS_DAY}`,
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
    const strategies = [...new Set(config.strategies.default.map((s) => s.name))];
    const subscriptions = await insertSubscribers(db, tickers, strategies, withSignal);
    await sql`analyze`.execute(db);

    log(`daily [${name}]: timed dailyRunWorkflow for ${RUN_DATE}`);
    const cpu = new CpuTimeline(() => ({
      [`worker process${workers.length > 1 ? 'es' : ''}`]: workers.map((w) => w.pid!),
      'mail sink': [mail.pid],
      'bench (idle)': [process.pid],
    }));
    cpu.start();
    const start = Date.now();
    const handle = await client.start('dailyRunWorkflow', {
      taskQueue,
      workflowId: `bench-daily-${RUN_DATE}-${start}`,
      args: [runInput(RUN_DATE)],
    });
    const result = await (handle.result() as Promise<DailyRunResult>).finally(() => cpu.stop());
    const totalMs = Date.now() - start;
    const stages = await stagesOf(handle, client.getHandle(notificationsWorkflowId({ kind: 'daily', date: RUN_DATE })));

    const baselineRows: BenchRow[] = [];
    if (baseline) {
      log(
        `daily [${name}]: baseline: the same ${num(SUBSCRIBERS)} digests composed and sent straight to a second sink (no Temporal, no claims)`,
      );
      const sink = await startBenchMailSink();
      cleanup.add(() => sink.remove());
      const direct = testDependencies(config);
      cleanup.add(() => direct.close());
      const baselineMs = await sendDirectly(direct.deps, sink.port, config);
      const baselineMessages = await countMessages(sink.dir);
      baselineRows.push(
        {
          figure: `daily: baseline: ${num(baselineMessages.files)} digests composed + sent directly (same mailer, ${DIRECT_CONCURRENCY} at once)`,
          value: `${duration(baselineMs)} (${num((baselineMessages.files / baselineMs) * 1000)}/s)`,
        },
        {
          figure: `daily: email stage / direct-send baseline [${name}]`,
          value: `${num((stages.emails[1] - stages.emails[0]) / baselineMs, 2)}x`,
        },
      );
    }

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
    const emailStageMs = stages.emails[1] - stages.emails[0];
    const emailsPerSecond = (result.notifications.sent / emailStageMs) * 1000;
    const notOkTickers = result.tickers.filter((t) => t.ingestion !== 'ok' || t.evaluation !== 'ok');
    const tag = (figure: string) => `daily [${name}]: ${figure}`;
    const rows: BenchRow[] = [
      {
        figure: tag('tickers x strategies / subscribers / subscriptions'),
        value: `${tickers.length} x ${strategies.length} / ${num(SUBSCRIBERS)} / ${num(subscriptions)}`,
      },
      {
        figure: tag(`signals on ${RUN_DATE}: recorded / BUY+SELL`),
        value: `${num(recordedSignals)} / ${emitted} (${bySignal.BUY ?? 0} BUY, ${bySignal.SELL ?? 0} SELL)`,
      },
      {
        figure: tag('tickers not ok'),
        value: notOkTickers.length === 0 ? 'none' : notOkTickers.map((t) => t.ticker).join(', '),
      },
      { figure: tag('stage ingestion (child workflow)'), value: span(stages.ingestion) },
      { figure: tag('stage evaluation (strategies, signals)'), value: span(stages.evaluation) },
      { figure: tag('stage runSignalSummary (run report)'), value: span(stages.runSummary) },
      {
        figure: tag(`stage emails (child workflow, ${stages.emailActivities} activities of ${config.mail.batchSize})`),
        value: span(stages.emails),
      },
      {
        figure: tag(
          'email stage: planning / per page: picked up after, ran, lane refilled after (means) / lanes filled',
        ),
        value: `${duration(stages.fanOut.planMs)} / ${duration(stages.fanOut.meanPickupMs)}, ${duration(stages.fanOut.meanRunMs)}, ${duration(stages.fanOut.meanRefillMs)} / ${num(stages.fanOut.laneFill * 100)}%`,
      },
      {
        figure: tag('email stage: CPU per message by process (2 CPUs give 2,000 µs a message at 1,000/s)'),
        value: [...cpu.between(stages.emails[0], stages.emails[1])]
          .filter(([, ms]) => ms >= 50)
          .sort((a, b) => b[1] - a[1])
          .map(([group, ms]) => `${group} ${num((ms / result.notifications.sent) * 1000)} µs`)
          .join(', '),
      },
      { figure: tag('total (start to result)'), value: duration(totalMs) },
      {
        figure: tag('signals recorded, from the start'),
        value: duration(signalsAtMs),
        target: `<= ${duration(SIGNALS_TARGET_MS)}`,
        met: signalsAtMs <= SIGNALS_TARGET_MS,
      },
      {
        figure: tag(`${num(SUBSCRIBERS)} emails in the sink, from the start`),
        value: Number.isNaN(emailsAtMs) ? 'never' : duration(emailsAtMs),
        target: `<= ${duration(EMAILS_TARGET_MS)}`,
        met: emailsAtMs <= EMAILS_TARGET_MS,
      },
      {
        figure: tag('emails per second (email stage, no send-rate limit)'),
        value: num(emailsPerSecond),
        target: `>= ${num(EMAILS_PER_SECOND_TARGET)}`,
        met: emailsPerSecond >= EMAILS_PER_SECOND_TARGET,
      },
      {
        figure: tag('sent (workflow) / sent (deliveries) / .eml files / distinct Message-IDs / recipients'),
        value: `${result.notifications.sent} / ${sentRows.n} / ${messages.files} / ${messages.messageIds} / ${messages.recipients}`,
      },
      {
        figure: tag('duplicate emails'),
        value: String(duplicates),
        target: '0',
        met: duplicates === 0 && messages.files === SUBSCRIBERS && messages.recipients === SUBSCRIBERS,
      },
    ];
    return {
      scenario,
      rows,
      baselineRows,
      totalMs,
      signalsAtMs,
      evaluationMs: stages.evaluation[1] - stages.evaluation[0],
      emailStageMs,
      emailsPerSecond,
    };
  } finally {
    await cleanup.run();
  }
}

/** `a / b` as `1.23x`. */
const ratio = (a: number, b: number) => `${num(a / b, 2)}x`;

/**
 * The daily benchmark on the dev server and on production mode's server
 * (Postgres), each with one and two worker processes, in one run; then the
 * ratios between them. A setting whose server cannot start (no server binary
 * built) is reported as such, and the others still run.
 */
export async function dailyBench(): Promise<BenchRow[]> {
  const config = benchConfig({ databaseUrl: 'postgres://unused@127.0.0.1/unused', temporalAddress: '127.0.0.1:1' });
  const tickers = await sp500Tickers();
  log(`daily: dry evaluation of ${RUN_DATE} (in process, once for every setting)`);
  const strategies = [...new Set(config.strategies.default.map((s) => s.name))];
  const dryStart = performance.now();
  const withSignal = await signalPairs(tickers, config);
  const dryEvaluationMs = since(dryStart);
  if (withSignal.length === 0) throw new Error(`no (ticker, strategy) pair has a BUY or SELL on ${RUN_DATE}`);

  const rows: BenchRow[] = [];
  const results = new Map<string, ScenarioResult>();
  const baselineRows: BenchRow[] = [];
  for (const scenario of chosenScenarios()) {
    try {
      const result = await runScenario(scenario, tickers, withSignal, results.size === 0 && baselineRows.length === 0);
      results.set(scenarioName(scenario), result);
      rows.push(...result.rows);
      baselineRows.push(...result.baselineRows);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`daily [${scenarioName(scenario)}] failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
      rows.push({
        figure: `daily [${scenarioName(scenario)}]: could not run`,
        value: message.split('\n')[0],
        met: false,
      });
    }
  }
  rows.push(...baselineRows, {
    figure: `daily: baseline: dry evaluation in process (CSV, enrich, ${strategies.length} strategies, ${tickers.length} tickers)`,
    value: duration(dryEvaluationMs),
  });
  const first = results.get(scenarioName(SCENARIOS[0]));
  if (first)
    rows.push({
      figure: `daily: evaluation stage / dry-evaluation baseline [${scenarioName(first.scenario)}]`,
      value: ratio(first.evaluationMs, dryEvaluationMs),
    });

  const of = (server: BenchServerMode, workers: 1 | 2) => results.get(scenarioName({ server, workers }));
  for (const workers of [1, 2] as const) {
    const dev = of('dev', workers);
    const prod = of('postgres', workers);
    if (!dev || !prod) continue;
    const totalRatio = prod.totalMs / dev.totalMs;
    rows.push(
      {
        figure: `daily: postgres / dev server, ${workers} worker${workers > 1 ? 's' : ''}: total`,
        value: ratio(prod.totalMs, dev.totalMs),
        target: `<= ${PRODUCTION_RATIO_TARGET}x`,
        met: totalRatio <= PRODUCTION_RATIO_TARGET,
      },
      {
        figure: `daily: postgres / dev server, ${workers} worker${workers > 1 ? 's' : ''}: signals recorded / email stage`,
        value: `${ratio(prod.signalsAtMs, dev.signalsAtMs)} / ${ratio(prod.emailStageMs, dev.emailStageMs)}`,
      },
    );
  }
  for (const server of ['dev', 'postgres'] as const) {
    const one = of(server, 1);
    const two = of(server, 2);
    if (!one || !two) continue;
    rows.push({
      figure: `daily: 2 workers / 1 worker, ${server === 'dev' ? 'dev server' : 'postgres server'}: total / signals recorded / email stage`,
      value: `${ratio(two.totalMs, one.totalMs)} / ${ratio(two.signalsAtMs, one.signalsAtMs)} / ${ratio(two.emailStageMs, one.emailStageMs)}`,
    });
  }
  return rows;
}
