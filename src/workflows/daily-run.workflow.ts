import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { closureReason, isTradingDay } from '../domain/calendar';
import { dailyRunRequestProblem, type DailyRunRequest } from '../domain/daily-run-request';
import { isoDateInZone, type IsoDate } from '../domain/dates';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { Activities } from '../activities';
import type { NotificationCounts } from '../activities/notifications.activities';
import type { RunSignal, RunSignalSummary, SignalCounts, TickerEvaluation } from '../activities/signals.activities';
import { ingestPricesWorkflow } from './ingest-prices.workflow';
import { chunk, failureMessage, pool } from './batching';
import { FAST_ACTIVITY_OPTIONS } from './activity-options';
import { sendEmails } from './send-notifications.workflow';
import { dailyIngestionWorkflowId } from './workflow-ids';
import { recordDailyRunFailure, recordDailyRunMetrics } from './run-metrics';

/** Input of {@link dailyRunWorkflow}: a {@link DailyRunRequest}; every field is optional (a Schedule passes `{}`). */
export type DailyRunInput = DailyRunRequest;

/** One ticker of a run: ingestion and evaluation status, the provider that served it, its last bar. */
export interface DailyRunTicker {
  ticker: string;
  ingestion: 'ok' | 'failed';
  evaluation: TickerEvaluation['status'] | 'skipped';
  /** The provider that served the ticker this run (absent when none did). */
  provider?: string;
  /** Its last stored bar on or before the run date (absent: none). */
  lastBarDate?: IsoDate;
  error?: string;
}

/** Result of {@link dailyRunWorkflow}, also the `algo run-daily --json` output. Bounded: HOLD and WAIT are only counted. */
export interface DailyRunResult {
  runId: string;
  date: IsoDate;
  tradingDay: boolean;
  /** Why nothing ran, on a non-trading day. */
  closure?: string;
  /** Signals of the run's date per kind (its day's, and missed days caught up), whichever run of the date recorded them: see `newSignals`. */
  counts?: SignalCounts;
  /** The BUY and SELL signals recorded (what is emailed). Runs before the `bounded-run-result` patch listed all four kinds. */
  signals: RunSignal[];
  /** How many of `counts` this run recorded itself (absent in results of older runs). */
  newSignals?: number;
  /** A run of a date already processed: the run that recorded its signals (absent when this run recorded some). */
  alreadyRecordedBy?: RunSignalSummary['alreadyRecordedBy'];
  /** Tickers without a bar for `date`, with their last bar on or before it (null: none at all); nothing was evaluated on `date` for them. */
  stale?: Array<{ ticker: string; lastDate: IsoDate | null }>;
  notifications: NotificationCounts;
  /** Per-ticker status of ingestion and evaluation. */
  tickers: DailyRunTicker[];
}

/** Patch ids (see replay tests): each changed the run's command sequence. */
export const RUN_DEFAULTS_FROM_CONFIG = 'run-defaults-from-config';
export const TRADING_DAY_ACTIVITY = 'trading-day-activity';
export const BOUNDED_RUN_RESULT = 'bounded-run-result';

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const fast = proxyActivities<Activities>(FAST_ACTIVITY_OPTIONS);

// A batch of 25 tickers x every strategy is seconds; a killed worker is noticed by the heartbeat.
const evaluation = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

/** The run's date: given, else the scheduled start (so a caught-up run keeps its day), else now, in New York. */
function runDate(input: DailyRunInput): IsoDate {
  if (input.date) return input.date;
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START);
  // Both come from history, so a replay computes the same date.
  return isoDateInZone((scheduled ?? workflowInfo().runStartTime).getTime(), 'America/New_York');
}

/**
 * The daily job for one trading day: ingest and enrich prices (child
 * workflow), run every strategy on every tracked ticker, record the signals,
 * and email each subscriber their BUY and SELL signals exactly once.
 * Re-running the same date changes nothing and sends nothing new. What the
 * input leaves out (provider, directory, batch sizes) comes from the worker's
 * config, through an activity.
 */
export async function dailyRunWorkflow(input: DailyRunInput = {}): Promise<DailyRunResult> {
  let result: DailyRunResult;
  try {
    result = await dailyRun(input);
  } catch (err) {
    recordDailyRunFailure();
    throw err;
  }
  recordDailyRunMetrics(result);
  return result;
}

/** The run itself; {@link dailyRunWorkflow} records its metrics. */
async function dailyRun(input: DailyRunInput): Promise<DailyRunResult> {
  const { runId } = workflowInfo();
  const date = runDate(input);
  const empty = { sent: 0, skipped: 0, failed: 0 };
  // Thrown as a non-retryable failure: a workflow task failing forever helps no one.
  const problem = dailyRunRequestProblem(input, date);
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'BadInputError');
  const day = patched(TRADING_DAY_ACTIVITY)
    ? await fast.tradingDay({ date })
    : { tradingDay: isTradingDay(date), closure: closureReason(date) ?? 'market closed' };
  if (!day.tradingDay) {
    return {
      runId,
      date,
      tradingDay: false,
      closure: day.closure ?? 'market closed',
      signals: [],
      notifications: empty,
      tickers: [],
    };
  }

  const settings = await runSettings(input);
  const tickers = input.tickers ?? (await fast.trackedTickers());
  const ingestion = await executeChild(ingestPricesWorkflow, {
    workflowId: dailyIngestionWorkflowId(workflowInfo().workflowId),
    args: [{ tickers, asOf: date, ...settings.ingest }],
  });
  const ingested = new Map(ingestion.tickers.map((t) => [t.ticker, t]));

  // A ticker whose ingestion failed is still evaluated on what is stored: its
  // state must not skip days, and stored bars are still valid. Not so when its
  // re-adjustment failed or waits in quarantine: its new days are not stored
  // (they wait for the rewrite), so there is no new bar to evaluate, and the
  // states are rebuilt over the rewritten history when it is approved. (Runs
  // recorded before new days waited stored them beside the old history: a
  // strategy would have seen the split as a crash. Same commands either way.)
  const halfAdjusted = new Set(
    ingestion.tickers.filter((t) => t.status === 'failed' && t.readjustment).map((t) => t.ticker),
  );
  const evaluations = new Map<string, TickerEvaluation>();
  await pool(
    chunk(
      tickers.filter((t) => !halfAdjusted.has(t)),
      settings.batchSize,
    ),
    4,
    async (batch) => {
      try {
        for (const r of await evaluation.evaluateStrategies({ date, tickers: batch })) evaluations.set(r.ticker, r);
      } catch (err) {
        const error = failureMessage(err);
        for (const ticker of batch) evaluations.set(ticker, { ticker, status: 'failed', recorded: 0, error });
      }
    },
  );

  /** A ticker's line of the result; `withSource` (since the bounded-result patch): its provider and last bar. */
  const tickerRow = (ticker: string, withSource: boolean): DailyRunTicker => {
    const ing = ingested.get(ticker);
    const ev = evaluations.get(ticker);
    const error = ing?.error ?? ev?.error;
    return {
      ticker,
      ingestion: ing?.status ?? 'failed',
      evaluation: ev?.status ?? 'skipped',
      ...(withSource && ing?.provider ? { provider: ing.provider } : {}),
      ...(withSource && ev?.lastBarDate ? { lastBarDate: ev.lastBarDate } : {}),
      ...(error ? { error } : {}),
    };
  };

  if (!patched(BOUNDED_RUN_RESULT)) {
    const signals = await fast.runSignals({ date, tickers });
    const notifications = await sendEmails({ kind: 'daily', date }, settings.emailBatchSize);
    return {
      runId,
      date,
      tradingDay: true,
      signals,
      notifications,
      tickers: tickers.map((ticker) => tickerRow(ticker, false)),
    };
  }

  // Results of older activity versions (in recorded histories) lack `newSignals`: same commands, fewer fields.
  const { counts, signals, newSignals, alreadyRecordedBy } = await fast.runSignalSummary({ date, tickers });
  const notifications = await sendEmails({ kind: 'daily', date }, settings.emailBatchSize);
  const perTicker = tickers.map((ticker) => tickerRow(ticker, true));
  const stale = perTicker
    .filter((t) => t.evaluation === 'stale' || t.evaluation === 'no_data')
    .map((t) => ({ ticker: t.ticker, lastDate: t.lastBarDate ?? null }));
  return {
    runId,
    date,
    tradingDay: true,
    counts,
    signals,
    ...(newSignals === undefined ? {} : { newSignals }),
    ...(alreadyRecordedBy ? { alreadyRecordedBy } : {}),
    stale,
    notifications,
    tickers: perTicker,
  };
}

/** Provider(s), directory and batch sizes: the input's, else (since the `run-defaults-from-config` patch) the worker's config. */
async function runSettings(input: DailyRunInput) {
  const needsDefaults =
    input.provider === undefined || input.batchSize === undefined || input.emailBatchSize === undefined;
  if (needsDefaults && patched(RUN_DEFAULTS_FROM_CONFIG)) {
    const d = await fast.runDefaults();
    // An input naming a provider keeps its own choice (and the config's directory only for csv).
    const own = input.provider !== undefined;
    const provider = input.provider ?? d.provider;
    const providers = own ? input.providers : (input.providers ?? d.providers);
    return {
      ingest: {
        provider,
        ...(providers ? { providers } : {}),
        csvDir: input.csvDir ?? d.csvDir,
        batchSize: input.batchSize ?? d.batchSize,
        maxConcurrentBatches: d.maxConcurrentBatches,
      },
      batchSize: input.batchSize ?? d.batchSize,
      emailBatchSize: input.emailBatchSize ?? d.emailBatchSize,
    };
  }
  return {
    ingest: {
      provider: input.provider ?? ('csv' as const),
      providers: input.providers,
      csvDir: input.csvDir,
      batchSize: input.batchSize,
    },
    batchSize: input.batchSize ?? 25,
    emailBatchSize: input.emailBatchSize ?? 200,
  };
}
