import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { IngestPricesInput, IngestPricesResult } from '../src/workflows/ingest-prices.workflow';
import type { DailyRunInput, DailyRunResult } from '../src/workflows/daily-run.workflow';
import {
  benchConfig,
  Cleanup,
  clearRedisPrefix,
  createBenchDatabase,
  duration,
  log,
  num,
  SP500_DIR,
  startBenchTemporal,
  startBenchWorkerProcess,
  type BenchRow,
} from './support';

/**
 * Issue 20: ten times the universe. The 505 S&P files, and ten copies of
 * them under new symbols (`AAPL`, `AAPL-X1` ... `AAPL-X9`: 5,050 tickers),
 * each through a backfill, a warm-up daily run and a timed daily run, with
 * the growth ratios between the two. `SCALE_COPIES` (default 10) sets the
 * larger universe.
 */
const PREVIOUS_DAY = '2018-02-06';
const RUN_DATE = '2018-02-07';
const COPIES = Number(process.env.SCALE_COPIES ?? 10);
const SIGNALS_TARGET_MS = 60_000;
const MEMORY_TARGET_BYTES = 2 ** 30;

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

/** Span of an activity or child type in a history: first scheduled to last completed. */
async function spans(handle: WorkflowHandle): Promise<{ started: number; span(name: string): [number, number] }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const opened = new Map<number, { name: string; at: number }>();
  const out = new Map<string, [number, number]>();
  let started = NaN;
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const id = Number(e.eventId);
    let closedId: number | undefined;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) started = at;
    else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      opened.set(id, { name: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', at });
    else if (e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
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
  return { started, span: (name) => out.get(name) ?? [NaN, NaN] };
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
}

/** One universe: a private database and worker, the psql floor, the backfill, a warm-up run and the timed run. */
async function atScale(copies: number): Promise<ScaleFigures> {
  const cleanup = new Cleanup();
  try {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'algo-bench-scale-'));
    cleanup.add(() => fs.rm(dir, { recursive: true, force: true }));
    const tickers = await buildUniverse(dir, copies);
    log(`scale: ${num(tickers.length)} tickers in ${dir}`);
    const [env, database] = await Promise.all([startBenchTemporal(), createBenchDatabase('scale')]);
    cleanup.add(() => env.teardown());
    cleanup.add(() => database.destroy());
    const config = benchConfig({ databaseUrl: database.url, temporalAddress: env.address, csvDir: dir });
    cleanup.add(() => clearRedisPrefix(config.redis.url, config.redis.keyPrefix));
    config.tickers = tickers;

    log('scale: psql \\copy of the same files (the floor)');
    const psqlCopyMs = await psqlCopy(database.url, dir, tickers);

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
    const figures = { tickers: tickers.length, psqlCopyMs, ...measured, startupRss, peakRss: await worker.peakRss() };
    log(`scale: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await cleanup.run();
  }
}

export async function scaleBench(): Promise<BenchRow[]> {
  const small = await atScale(1);
  const large = await atScale(COPIES);
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
  ];
}
