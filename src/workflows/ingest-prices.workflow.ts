import {
  ApplicationFailure,
  ChildWorkflowFailure,
  defineQuery,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { IsoDate } from '../domain/dates';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { MarketDataProviderName } from '../domain/market-data';
import { failedTickerIngestion, type TickerIngestionResult } from '../domain/ports';
import type { Activities } from '../activities';
import { chunk, failureMessage, pool } from './batching';
import { readjustTickerWorkflow, type ReadjustTickerResult } from './readjust-ticker.workflow';
import { readjustWorkflowId } from './workflow-ids';
import { FAST_RETRY } from './activity-options';

/** Input of {@link ingestPricesWorkflow}. */
export interface IngestPricesInput {
  /** Tickers to ingest; omitted: every ticker the source lists (csv: its files). */
  tickers?: string[];
  /** Ingest nothing dated after this day (no look-ahead when replaying history). */
  asOf: IsoDate;
  provider: MarketDataProviderName;
  /**
   * Failover order (e.g. `['yahoo', 'alphavantage']`); omitted: `[provider]`.
   * A ticker the first cannot serve for a transient reason is fetched from the
   * next; each ticker's result names the provider that served it.
   */
  providers?: MarketDataProviderName[];
  /** CSV directory; default: the worker's configured one. */
  csvDir?: string;
  /** Tickers per activity (default 25: 500 tickers are 20 activities). */
  batchSize?: number;
  /** Batches running at once (default 4). */
  maxConcurrentBatches?: number;
}

/** Result of {@link ingestPricesWorkflow}: one entry per ticker, in input order. */
export interface IngestPricesResult {
  runId: string;
  asOf: IsoDate;
  provider: string;
  tickers: TickerIngestionResult[];
  /**
   * The re-adjustments this run started and waited for (tickers whose stored
   * history a new split or a changed provider history made stale); absent
   * when there were none. A ticker whose re-adjustment failed is `failed`.
   */
  readjustments?: ReadjustTickerResult[];
}

/** Progress for clients (the CLI's progress bar). */
export interface IngestProgress {
  total: number;
  done: number;
  failed: number;
}

export const ingestProgressQuery = defineQuery<IngestProgress>('ingestProgress');

/** Since new days wait for a due re-adjustment: one found again after it was undone fails its ticker. */
const READJUST_NOT_APPLIED_FAILS = 'readjust-not-applied-fails';

/** Retries of one batch; the activity reports transient failures on the last one instead of throwing. */
const BATCH_MAX_ATTEMPTS = 5;

const { startIngestionRun, listSourceTickers, finishIngestionRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: FAST_RETRY,
});

const { ingestTickerBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  // A killed worker is noticed within this and the batch resumes elsewhere.
  heartbeatTimeout: '20s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: BATCH_MAX_ATTEMPTS,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

/**
 * Ingest and enrich daily prices for many tickers. Price arrays never enter
 * workflow history: activities read and write storage and return summaries.
 * One failing ticker (or batch) does not fail the others.
 */
export async function ingestPricesWorkflow(input: IngestPricesInput): Promise<IngestPricesResult> {
  const runId = workflowInfo().runId;
  const selection = {
    provider: input.provider,
    csvDir: input.csvDir,
    ...(input.providers ? { providers: input.providers } : {}),
  };
  const tickers = input.tickers ?? (await listSourceTickers(selection));
  if (tickers.length === 0) throw ApplicationFailure.nonRetryable('no tickers to ingest', 'BadInputError');

  const progress: IngestProgress = { total: tickers.length, done: 0, failed: 0 };
  setHandler(ingestProgressQuery, () => progress);

  await startIngestionRun({
    runId,
    asOf: input.asOf,
    provider: (input.providers ?? [input.provider]).join(','),
    tickers,
  });

  const results = new Map<string, TickerIngestionResult>();
  const batches = chunk(tickers, input.batchSize ?? 25);
  const runBatch = async (batch: string[]) => {
    let batchResults: TickerIngestionResult[];
    try {
      batchResults = await ingestTickerBatch({
        ...selection,
        runId,
        tickers: batch,
        asOf: input.asOf,
        maxAttempts: BATCH_MAX_ATTEMPTS,
      });
    } catch (err) {
      const error = failureMessage(err);
      batchResults = batch.map((ticker) => failedTickerIngestion(ticker, error, null));
    }
    for (const r of batchResults) {
      results.set(r.ticker, r);
      progress.done += 1;
      if (r.status === 'failed') progress.failed += 1;
    }
  };

  // A small pool: at most maxConcurrentBatches activities in flight.
  const queue = [...batches];
  const lanes = Array.from({ length: Math.min(input.maxConcurrentBatches ?? 4, queue.length) }, async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) await runBatch(batch);
  });
  await Promise.all(lanes);

  const due = tickers.map((t) => results.get(t)!).filter((r) => r.status === 'ok' && r.readjustment);
  let readjustments: ReadjustTickerResult[] | undefined;
  // Versioned: histories recorded before re-adjustment existed start no child here.
  if (due.length > 0 && patched('readjust-after-split')) {
    const done: ReadjustTickerResult[] = [];
    await pool(due, 4, async (result) => {
      const cause = result.readjustment!;
      try {
        const readjusted = await executeChild(readjustTickerWorkflow, {
          workflowId: readjustWorkflowId(result.ticker, cause, input.asOf),
          args: [{ ticker: result.ticker, cause, asOf: input.asOf, ingestionRunId: runId, ...selection }],
        });
        done.push(readjusted);
        if (readjusted.status === 'quarantined') {
          // Not applied until someone approves it: no strategy runs on a history awaiting a decision.
          const error = `stored history not re-adjusted: re-adjustment ${readjusted.id} quarantined (${readjusted.quarantineReason}); apply it with algo readjust approve ${readjusted.id}`;
          results.set(result.ticker, { ...result, status: 'failed', error });
          progress.failed += 1;
        } else if (readjusted.status !== 'applied' && patched(READJUST_NOT_APPLIED_FAILS)) {
          // Found again after it was undone (or approved, then undone): the ingestion stored none of the
          // ticker's new days, and this cause's record stays as it is; the ticker is not silently ok.
          const error = `stored history not re-adjusted: re-adjustment ${readjusted.id} of this ${cause.reason} (${cause.date}) is ${readjusted.status}, so the ticker's new days are not stored`;
          results.set(result.ticker, { ...result, status: 'failed', error });
          progress.failed += 1;
        }
      } catch (err) {
        // The stored history is inconsistent: the ticker fails, so that no strategy runs on it.
        const error = `stored history not re-adjusted (${cause.reason} ${cause.date}): ${failureMessage(err instanceof ChildWorkflowFailure && err.cause ? err.cause : err)}`;
        results.set(result.ticker, { ...result, status: 'failed', error });
        progress.failed += 1;
      }
    });
    readjustments = due.flatMap((r) => done.filter((d) => d.ticker === r.ticker));
  }

  await finishIngestionRun({ runId, failed: progress.failed });
  return {
    runId,
    asOf: input.asOf,
    provider: input.provider,
    tickers: tickers.map((t) => results.get(t)!),
    ...(readjustments ? { readjustments } : {}),
  };
}
