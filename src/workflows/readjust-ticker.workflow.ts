import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IsoDate } from '../domain/dates';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { MarketDataProviderName } from '../domain/market-data';
import type { PriceReadjustment, ReadjustmentCause } from '../domain/readjustment';
import type { Activities } from '../activities';
import type { StoredHistoryReadjustment } from '../activities/readjustment.activities';
import { FAST_ACTIVITY_OPTIONS } from './activity-options';

/** Input of {@link readjustTickerWorkflow}. */
export interface ReadjustTickerInput {
  ticker: string;
  cause: ReadjustmentCause;
  /** The ingestion's as-of day (a re-backfill fetches nothing later). */
  asOf: IsoDate;
  /** The ingestion run that found the cause. */
  ingestionRunId: string | null;
  provider: MarketDataProviderName;
  providers?: MarketDataProviderName[];
  csvDir?: string;
  /** The quarantined re-adjustment this run applies (`algo readjust approve`). */
  approves?: number;
}

/** Result of {@link readjustTickerWorkflow}: the recorded re-adjustment and the states rebuilt. */
export interface ReadjustTickerResult extends StoredHistoryReadjustment {
  statesRebuilt: number;
}

const { readjustStoredHistory, undoReadjustment } = proxyActivities<Activities>({
  // A re-backfill fetches a whole history (behind the provider's rate limiter) and rewrites it.
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

const { rebuildTickerStrategyStates } = proxyActivities<Activities>(FAST_ACTIVITY_OPTIONS);

/**
 * Rewrite one ticker's stored history (a split after it, or a provider that
 * rewrote its adjusted history), recompute its indicators, record it in
 * price_readjustments, then rebuild the ticker's strategy states over the
 * rewritten bars. An implausible one is recorded quarantined instead
 * (its result's status says so) and rewrites nothing. Started as a child of the ingestion, which waits for it: no
 * strategy runs on a half-adjusted history.
 */
export async function readjustTickerWorkflow(input: ReadjustTickerInput): Promise<ReadjustTickerResult> {
  const readjustment = await readjustStoredHistory({
    ticker: input.ticker,
    cause: input.cause,
    asOf: input.asOf,
    workflowId: workflowInfo().workflowId,
    ingestionRunId: input.ingestionRunId,
    provider: input.provider,
    ...(input.providers ? { providers: input.providers } : {}),
    ...(input.csvDir ? { csvDir: input.csvDir } : {}),
    ...(input.approves !== undefined ? { approves: input.approves } : {}),
  });
  // Always: a run that recorded the rewrite and stopped before this step left the states stale.
  const states = await rebuildTickerStrategyStates({ ticker: input.ticker });
  return { ...readjustment, statesRebuilt: states.rebuilt };
}

/** Result of {@link undoReadjustmentWorkflow}: the re-adjustment, now undone, and the states rebuilt. */
export interface UndoReadjustmentResult {
  readjustment: PriceReadjustment;
  statesRebuilt: number;
}

/**
 * Put back the bars re-adjustment `id` replaced (`algo readjust undo ID`),
 * then rebuild the ticker's strategy states over them.
 */
export async function undoReadjustmentWorkflow(input: { id: number }): Promise<UndoReadjustmentResult> {
  const readjustment = await undoReadjustment({ id: input.id });
  const states = await rebuildTickerStrategyStates({ ticker: readjustment.ticker });
  return { readjustment, statesRebuilt: states.rebuilt };
}
