import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { IngestPricesInput, IngestPricesResult } from '../src/workflows/ingest-prices.workflow';
import type { DailyRunInput, DailyRunResult } from '../src/workflows/daily-run.workflow';
import { sql } from 'kysely';
import type { SendNotificationsInput } from '../src/workflows/send-notifications.workflow';
import type { NotificationCounts } from '../src/activities/notifications.activities';
import type { BenchDatabase } from './support';
import { countMessages, insertSubscribers, type Pair } from './daily.bench';
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
  startBenchWorkerProcess,
  type BenchRow,
} from './support';

/**
 * Issue 20: ten times the universe. The 505 S&P files, and ten copies of
 * them under new symbols (`AAPL`, `AAPL-X1` ... `AAPL-X9`: 5,050 tickers),
 * each through a backfill, a warm-up daily run and a timed daily run, with
 * the growth ratios between the two. `SCALE_COPIES` (default 10) sets the
 * larger universe. Then, over the larger universe, the subscriber side at
 * 10,000 and 100,000 confirmed subscribers (`SCALE_SUBSCRIBERS`, comma
 * separated): digest planning and the email fan-out to the local sink.
 */
const PREVIOUS_DAY = '2018-02-06';
const RUN_DATE = '2018-02-07';
const COPIES = Number(process.env.SCALE_COPIES ?? 10);
const SIGNALS_TARGET_MS = 60_000;
const MEMORY_TARGET_BYTES = 2 ** 30;
const SUBSCRIBER_SIZES = (process.env.SCALE_SUBSCRIBERS ?? '10000,100000').split(',').map(Number);
/** Linear growth, with a tenth of slack: 10x the subscribers in at most 11x the time. */
const LINEAR_SLACK = 1.1;

const EventType = temporal.api.enums.v1.EventType;
const run = promisify(execFile);

/** Copies of the S&P files in `dir`: `copies` times each, the first under its own symbol. Returns the tickers. */
async function buildUniverse(dir: string, copies: number): Promise<string[]> {
  const files = (await fs.readdir(SP500_DIR)).filter((f) => f.endsWith('_data.csv')).sort();
  const tickers: string[] = [];
  for (const file of files) {
    const ticker = file.replace(/_data\.csv$/, '');
    const text = await fs.readFile(path.join(SP500_DIR, file), 'utf8');
    for (let k = 0; k < copies; k++) {
      const symbol = k === 0 ? ticker : `${ticker}-X${k}`;
      // The Name column too: the copy is another company as far as anyone can tell.
      const body = k === 0 ? text : text.replace(new RegExp(`,${ticker.replace(/[.]/g, '\\.')}$`, 'gm'), `,${symbol}`);
      await fs.writeFile(path.join(dir, `${symbol}_data.csv`), body);
      tickers.push(symbol);
    }
  }
  return tickers.sort();
}

/** `psql \copy` of every file of `dir` into a table with a primary key: the floor of a backfill. */
async function psqlCopy(databaseUrl: string, dir: string, tickers: readonly string[]): Promise<number> {
  const script = path.join(dir, 'copy.sql');
  const lines = [
    // As `npm run bench -- ingest` measures its floor: a table with a primary key, as daily_bars has.
    'create table raw_bars (date date, open float8, high float8, low float8, close float8, volume bigint, name text, primary key (name, date));',
    ...tickers.map((t) => `\\copy raw_bars from '${path.join(dir, `${t}_data.csv`)}' csv header`),
  ];
  await fs.writeFile(script, lines.join('\n') + '\n');
  const start = performance.now();
  await run('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-f', script], { maxBuffer: 1 << 26 });
  const ms = performance.now() - start;
  await run('psql', ['-q', '-d', databaseUrl, '-c', 'drop table raw_bars']);
  return ms;
}

/** Span of an activity or child type in a history (first scheduled to last completed), and how many were scheduled. */
async function spans(
  handle: WorkflowHandle,
): Promise<{ started: number; span(name: string): [number, number]; count(name: string): number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const opened = new Map<number, { name: string; at: number }>();
  const out = new Map<string, [number, number]>();
  const counts = new Map<string, number>();
  let started = NaN;
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const id = Number(e.eventId);
    let closedId: number | undefined;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) started = at;
    else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      opened.set(id, { name, at });
      counts.set(name, (counts.get(name) ?? 0) + 1);
    } else if (e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
      opened.set(id, { name: e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? '?', at });
    else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
      closedId = Number(e.activityTaskCompletedEventAttributes?.scheduledEventId);
    else if (e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
      closedId = Number(e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId);
    const o = closedId === undefined ? undefined : opened.get(closedId);
    if (o) {
      const s = out.get(o.name);
      out.set(o.name, s ? [Math.min(s[0], o.at), Math.max(s[1], at)] : [o.at, at]);
    }
  }
  return { started, span: (name) => out.get(name) ?? [NaN, NaN], count: (name) => counts.get(name) ?? 0 };
}

interface ScaleFigures {
  tickers: number;
  psqlCopyMs: number;
  backfillMs: number;
  warmupMs: number;
  ingestionMs: number;
  evaluationMs: number;
  summaryMs: number;
  signalsAtMs: number;
  totalMs: number;
  /** The worker process's peak RSS from start to ready (the workflow bundle is built then). */
  startupRss: number;
  /** The worker process's peak RSS over the backfill and both daily runs. */
  peakRss: number;
  notOk: number;
  /** The subscriber side (larger universe only), one entry per size. */
  subscribers: SubscriberFigures[];
}

/** One size of the subscriber side: a fan-out of the timed run's signals to `subscribers` confirmed subscribers. */
interface SubscriberFigures {
  subscribers: number;
  subscriptions: number;
  /** Subscribers per email activity (mail.batchSize). */
  pageSize: number;
  /** planNotifications: the recipients split into pages (one query over every subscription). */
  planningMs: number;
  /** First sendNotifications scheduled to the last completed: each page's digests planned, claimed, sent, marked. */
  fanOutMs: number;
  /** The fan-out workflow, start to result. */
  totalMs: number;
  pages: number;
  counts: NotificationCounts;
  /** .eml files in the sink / distinct Message-IDs / recipients. */
  files: number;
  messageIds: number;
  recipients: number;
  /** The worker process's peak RSS over this fan-out. */
  peakRss: number;
}

/**
 * The subscriber side at `count` subscribers: the earlier size's subscribers
 * and deliveries removed, `count` inserted (each following a pair with a
 * signal on the run date, and up to two more), then the run date's fan-out
 * (`sendNotificationsWorkflow`, as the daily run starts it, under its own id)
 * to the sink, whose directory is emptied first.
 */
async function subscriberSide(
  database: BenchDatabase,
  run: { client: WorkflowClient; taskQueue: string; pageSize: number; mailDir: string },
  tickers: readonly string[],
  strategies: readonly string[],
  count: number,
): Promise<Omit<SubscriberFigures, 'peakRss'>> {
  const { db } = database;
  await sql`truncate subscribers, deliveries, delivered_signals restart identity cascade`.execute(db);
  for (const f of await fs.readdir(run.mailDir)) await fs.rm(path.join(run.mailDir, f), { force: true });
  const { rows } = await sql<Pair>`
    select distinct ticker, strategy from signals
    where run_date = ${RUN_DATE} and signal in ('BUY', 'SELL') order by ticker, strategy`.execute(db);
  if (rows.length === 0) throw new Error(`the run of ${RUN_DATE} recorded no BUY or SELL`);
  const subscriptions = await insertSubscribers(db, tickers, strategies, rows, count);
  await sql`analyze`.execute(db);
  log(`scale: fan-out of ${RUN_DATE} to ${num(count)} subscribers (${num(subscriptions)} subscriptions)`);
  const input: SendNotificationsInput = { target: { kind: 'daily', date: RUN_DATE }, pageSize: run.pageSize };
  const start = Date.now();
  const handle = await run.client.start('sendNotificationsWorkflow', {
    taskQueue: run.taskQueue,
    workflowId: `bench-scale-emails-${count}-${start}`,
    args: [input],
  });
  const counts = (await handle.result()) as NotificationCounts;
  const totalMs = Date.now() - start;
  const history = await spans(handle);
  const [planFrom, planTo] = history.span('planNotifications');
  const [sendFrom, sendTo] = history.span('sendNotifications');
  const messages = await countMessages(run.mailDir);
  return {
    subscribers: count,
    subscriptions,
    pageSize: run.pageSize,
    planningMs: planTo - planFrom,
    fanOutMs: sendTo - sendFrom,
    totalMs,
    pages: history.count('sendNotifications'),
    counts,
    files: messages.files,
    messageIds: messages.messageIds,
    recipients: messages.recipients,
  };
}

/**
 * One universe: a private database and worker, the psql floor, the backfill,
 * a warm-up run and the timed run; with `subscriberSizes`, then the
 * subscriber side at each size.
 */
async function atScale(copies: number, subscriberSizes: readonly number[] = []): Promise<ScaleFigures> {
  const cleanup = new Cleanup();
  try {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'algo-bench-scale-'));
    cleanup.add(() => fs.rm(dir, { recursive: true, force: true }));
    const tickers = await buildUniverse(dir, copies);
    log(`scale: ${num(tickers.length)} tickers in ${dir}`);
    const [env, database, mail] = await Promise.all([
      startBenchTemporal(),
      createBenchDatabase('scale'),
      startBenchMailSink(),
    ]);
    cleanup.add(() => env.teardown());
    cleanup.add(() => database.destroy());
    cleanup.add(() => mail.remove());
    const config = benchConfig({
      databaseUrl: database.url,
      temporalAddress: env.address,
      csvDir: dir,
      smtpPort: mail.port,
    });
    cleanup.add(() => clearRedisPrefix(config.redis.url, config.redis.keyPrefix));
    config.tickers = tickers;

    log('scale: psql \\copy of the same files (the floor)');
    const psqlCopyMs = await psqlCopy(database.url, dir, tickers);
    // The floor's dirty pages must not be flushed during the timed backfill (as the ingest bench does).
    await sql`checkpoint`.execute(database.db);

    // The worker in its own process, as in production: its peak memory is measured alone.
    const worker = await startBenchWorkerProcess(config);
    cleanup.add(() => worker.stop());
    const startupRss = await worker.peakRss();
    await worker.resetPeak();
    const client = env.client.workflow;
    const taskQueue = config.temporal.taskQueue;
    const measured = await (async () => {
      log(`scale: backfill up to ${PREVIOUS_DAY}`);
      const ingestInput: IngestPricesInput = {
        provider: 'csv',
        csvDir: dir,
        asOf: PREVIOUS_DAY,
        batchSize: config.ingestion.batchSize,
        maxConcurrentBatches: config.ingestion.maxConcurrentBatches,
      };
      const backfillStart = performance.now();
      const ingested = (await client.execute('ingestPricesWorkflow', {
        taskQueue,
        workflowId: `bench-scale-ingest-${Date.now()}`,
        args: [ingestInput],
      })) as IngestPricesResult;
      const backfillMs = performance.now() - backfillStart;
      const failed = ingested.tickers.filter((t) => t.status !== 'ok');
      if (failed.length > 0) throw new Error(`backfill failed for ${failed.length} tickers (${failed[0].ticker}...)`);
      const runInput = (date: string): DailyRunInput => ({
        date,
        provider: 'csv',
        csvDir: dir,
        batchSize: config.ingestion.batchSize,
        emailBatchSize: config.mail.batchSize,
      });
      log(`scale: warm-up daily run of ${PREVIOUS_DAY} (every state replayed once)`);
      const warmStart = performance.now();
      await client.execute('dailyRunWorkflow', {
        taskQueue,
        workflowId: `bench-scale-warm-${Date.now()}`,
        args: [runInput(PREVIOUS_DAY)],
      });
      const warmupMs = performance.now() - warmStart;
      log(`scale: timed daily run of ${RUN_DATE}`);
      const start = Date.now();
      const handle = await client.start('dailyRunWorkflow', {
        taskQueue,
        workflowId: `bench-scale-daily-${start}`,
        args: [runInput(RUN_DATE)],
      });
      const result = (await handle.result()) as DailyRunResult;
      const totalMs = Date.now() - start;
      const history = await spans(handle);
      const width = ([from, to]: [number, number]) => to - from;
      return {
        backfillMs,
        warmupMs,
        totalMs,
        ingestionMs: width(history.span('ingestPricesWorkflow')),
        evaluationMs: width(history.span('evaluateStrategies')),
        summaryMs: width(history.span('runSignalSummary')),
        signalsAtMs: history.span('evaluateStrategies')[1] - history.started,
        notOk: result.tickers.filter((t) => t.ingestion !== 'ok' || t.evaluation !== 'ok').length,
      };
    })();
    const peakRss = await worker.peakRss();
    const strategies = [...new Set(config.strategies.default.map((st) => st.name))];
    const subscribers: SubscriberFigures[] = [];
    for (const count of subscriberSizes) {
      const run = { client, taskQueue, pageSize: config.mail.batchSize, mailDir: mail.dir };
      await worker.resetPeak();
      const side = await subscriberSide(database, run, tickers, strategies, count);
      subscribers.push({ ...side, peakRss: await worker.peakRss() });
    }
    const figures = { tickers: tickers.length, psqlCopyMs, ...measured, startupRss, peakRss, subscribers };
    log(`scale: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await cleanup.run();
  }
}

export async function scaleBench(): Promise<BenchRow[]> {
  const small = await atScale(1);
  const large = await atScale(COPIES, SUBSCRIBER_SIZES);
  const n = `${num(small.tickers)} -> ${num(large.tickers)}`;
  const pair = (f: (s: ScaleFigures) => number, show: (v: number) => string) =>
    `${show(f(small))} -> ${show(f(large))} (${num(f(large) / f(small), 2)}x)`;
  const mb = (bytes: number) => `${num(bytes / 2 ** 20)} MB`;
  const backfillRatio = large.backfillMs / large.psqlCopyMs;
  const signalsRatio = large.signalsAtMs / small.signalsAtMs;
  return [
    { figure: 'scale: tickers', value: n },
    { figure: 'scale: psql \\copy of the files (floor)', value: pair((s) => s.psqlCopyMs, duration) },
    { figure: 'scale: backfill (ingestPricesWorkflow)', value: pair((s) => s.backfillMs, duration) },
    {
      figure: `scale: backfill / psql \\copy at ${num(large.tickers)}`,
      value: `${num(backfillRatio, 2)}x`,
      target: '<= 1.00x',
      met: backfillRatio <= 1,
    },
    {
      figure: 'scale: warm-up daily run (first sight: every state replayed)',
      value: pair((s) => s.warmupMs, duration),
    },
    { figure: 'scale: daily run stage ingestion', value: pair((s) => s.ingestionMs, duration) },
    { figure: 'scale: daily run stage evaluation', value: pair((s) => s.evaluationMs, duration) },
    { figure: 'scale: daily run stage run report (runSignalSummary)', value: pair((s) => s.summaryMs, duration) },
    { figure: 'scale: daily run total', value: pair((s) => s.totalMs, duration) },
    { figure: 'scale: daily run start -> signals recorded', value: pair((s) => s.signalsAtMs, duration) },
    {
      figure: `scale: signals recorded at ${num(large.tickers)}`,
      value: duration(large.signalsAtMs),
      target: `<= ${duration(SIGNALS_TARGET_MS)} and <= ${COPIES}x (${num(signalsRatio, 2)}x)`,
      met: large.signalsAtMs <= SIGNALS_TARGET_MS && signalsRatio <= COPIES,
    },
    {
      figure: 'scale: worker process peak RSS at start (bundling the workflows)',
      value: pair((s) => s.startupRss, mb),
    },
    {
      figure: 'scale: worker process peak RSS over backfill and daily runs (VmHWM)',
      value: pair((s) => s.peakRss, mb),
      target: `<= ${mb(MEMORY_TARGET_BYTES)}`,
      met: large.peakRss <= MEMORY_TARGET_BYTES,
    },
    {
      figure: 'scale: tickers not ok in the timed run',
      value: `${small.notOk} / ${large.notOk}`,
      target: '0',
      met: small.notOk + large.notOk === 0,
    },
    ...subscriberRows(large),
  ];
}

/** The subscriber side's rows: each size, then the growth from the first size to the last. */
function subscriberRows(large: ScaleFigures): BenchRow[] {
  const sizes = large.subscribers;
  if (sizes.length === 0) return [];
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const each = (f: (s: SubscriberFigures) => string) => sizes.map(f).join(' -> ');
  const grows = sizes.length > 1 ? last.subscribers / first.subscribers : 1;
  const growth = (f: (s: SubscriberFigures) => number): BenchRow['met'] =>
    sizes.length > 1 ? f(last) / f(first) <= grows * LINEAR_SLACK : undefined;
  const times = (f: (s: SubscriberFigures) => number) =>
    `${each((s) => duration(f(s)))}${sizes.length > 1 ? ` (${num(f(last) / f(first), 2)}x)` : ''}`;
  const linear =
    sizes.length > 1 ? `<= ${num(grows * LINEAR_SLACK, 1)}x (linear: ${num(grows)}x subscribers)` : undefined;
  const tickers = `over ${num(large.tickers)} tickers`;
  const duplicates = (s: SubscriberFigures) => s.files - s.messageIds;
  return [
    {
      figure: `scale: subscribers / subscriptions ${tickers}`,
      value: each((s) => `${num(s.subscribers)} / ${num(s.subscriptions)}`),
    },
    {
      figure: 'scale: digest planning (planNotifications: pages of recipients)',
      value: times((s) => s.planningMs),
      target: linear,
      met: growth((s) => s.planningMs),
    },
    {
      figure: `scale: fan-out (sendNotifications: plan, claim, send, mark; ${each((s) => num(s.pages))} pages of ${num(first.pageSize)})`,
      value: times((s) => s.fanOutMs),
      target: linear,
      met: growth((s) => s.fanOutMs),
    },
    { figure: 'scale: fan-out workflow, start to result', value: times((s) => s.totalMs) },
    { figure: 'scale: emails per second (fan-out)', value: each((s) => num((s.counts.sent / s.fanOutMs) * 1000)) },
    {
      figure: 'scale: worker process peak RSS over the fan-out (VmHWM)',
      value: each((s) => `${num(s.peakRss / 2 ** 20)} MB`),
    },
    {
      figure: 'scale: sent / .eml files / distinct Message-IDs / recipients',
      value: each((s) => `${num(s.counts.sent)} / ${num(s.files)} / ${num(s.messageIds)} / ${num(s.recipients)}`),
    },
    {
      figure: 'scale: every subscriber emailed once (no duplicate, none missing)',
      value: each((s) => `${duplicates(s)} duplicates, ${s.subscribers - s.recipients} missing`),
      target: '0 / 0',
      met: sizes.every((s) => duplicates(s) === 0 && s.recipients === s.subscribers && s.counts.failed === 0),
    },
  ];
}
