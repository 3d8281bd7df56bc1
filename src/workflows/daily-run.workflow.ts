import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { closureReason, isTradingDay } from '../domain/calendar';
import { isIsoDate, isoDateInZone, type IsoDate } from '../domain/dates';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { MarketDataProviderName } from '../domain/market-data';
import type { Activities } from '../activities';
import type { NotificationCounts } from '../activities/notifications.activities';
import type { RunSignal, TickerEvaluation } from '../activities/signals.activities';
import { ingestPricesWorkflow } from './ingest-prices.workflow';
import { chunk, failureMessage, pool } from './batching';
import { FAST_ACTIVITY_OPTIONS } from './activity-options';
import { sendEmails } from './send-notifications.workflow';

/** Input of {@link dailyRunWorkflow}; every field is optional (a Schedule passes `{}`). */
export interface DailyRunInput {
  /** The trading day to run for; default: the scheduled day (or today) in New York. */
  date?: IsoDate;
  /** Override the tracked tickers for this run. */
  tickers?: string[];
  provider?: MarketDataProviderName;
  /** Failover order of providers (see {@link IngestPricesInput.providers}). */
  providers?: MarketDataProviderName[];
  csvDir?: string;
  /** Subscribers per email activity (default 200). */
  emailBatchSize?: number;
  /** Ticker batch size of ingestion and evaluation (default 25). */
  batchSize?: number;
}

/** Result of {@link dailyRunWorkflow}, also the `algo run-daily --json` output. */
export interface DailyRunResult {
  runId: string;
  date: IsoDate;
  tradingDay: boolean;
  /** Why nothing ran, on a non-trading day. */
  closure?: string;
  /** Signals recorded for `date` (all four kinds; only BUY and SELL are emailed). */
  signals: RunSignal[];
  notifications: NotificationCounts;
  /** Per-ticker status of ingestion and evaluation. */
  tickers: Array<{ ticker: string; ingestion: 'ok' | 'failed'; evaluation: TickerEvaluation['status'] | 'skipped'; error?: string }>;
}

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const fast = proxyActivities<Activities>(FAST_ACTIVITY_OPTIONS);

const evaluation = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
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
 * Re-running the same date changes nothing and sends nothing new.
 */
export async function dailyRunWorkflow(input: DailyRunInput = {}): Promise<DailyRunResult> {
  const { runId } = workflowInfo();
  const date = runDate(input);
  const empty = { sent: 0, skipped: 0, failed: 0 };
  if (!isIsoDate(date)) throw new Error(`date "${date}" is not a valid YYYY-MM-DD date`);
  if (!isTradingDay(date)) {
    return { runId, date, tradingDay: false, closure: closureReason(date) ?? 'market closed', signals: [], notifications: empty, tickers: [] };
  }

  const tickers = input.tickers ?? (await fast.trackedTickers());
  const ingestion = await executeChild(ingestPricesWorkflow, {
    workflowId: `${workflowInfo().workflowId}-ingest`,
    args: [{ tickers, asOf: date, provider: input.provider ?? 'csv', providers: input.providers, csvDir: input.csvDir, batchSize: input.batchSize }],
  });
  const ingested = new Map(ingestion.tickers.map((t) => [t.ticker, t]));

  // A ticker whose ingestion failed is still evaluated on what is stored: its
  // state must not skip days, and stored bars are still valid. Not so when its
  // re-adjustment failed: its stored history is half adjusted, and a strategy
  // would see the split as a crash. (Old histories have no such ticker: same commands.)
  const stale = new Set(ingestion.tickers.filter((t) => t.status === 'failed' && t.readjustment).map((t) => t.ticker));
  const evaluations = new Map<string, TickerEvaluation>();
  await pool(chunk(tickers.filter((t) => !stale.has(t)), input.batchSize ?? 25), 4, async (batch) => {
    try {
      for (const r of await evaluation.evaluateStrategies({ date, tickers: batch })) evaluations.set(r.ticker, r);
    } catch (err) {
      const error = failureMessage(err);
      for (const ticker of batch) evaluations.set(ticker, { ticker, status: 'failed', recorded: 0, error });
    }
  });
  const signals = await fast.runSignals({ date, tickers });

  const notifications = await sendEmails({ kind: 'daily', date }, input.emailBatchSize ?? 200);

  return {
    runId,
    date,
    tradingDay: true,
    signals,
    notifications,
    tickers: tickers.map((ticker) => {
      const ing = ingested.get(ticker);
      const ev = evaluations.get(ticker);
      const error = ing?.error ?? ev?.error;
      return { ticker, ingestion: ing?.status ?? 'failed', evaluation: ev?.status ?? 'skipped', ...(error ? { error } : {}) };
    }),
  };
}
