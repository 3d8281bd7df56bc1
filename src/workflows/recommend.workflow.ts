import { defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { WalkForwardOptions } from '../domain/backtest/walk-forward';
import type { Activities } from '../activities';
import type { RecommendTickerResult } from '../activities/research.activities';
import type { RecommendCandidate } from '../domain/backtest/candidates';
import { chunk, failureMessage, pool } from './batching';
import { BATCH_RETRY, FAST_RETRY } from './activity-options';

/** Input of {@link recommendWorkflow}; every field is optional. */
export interface RecommendInput {
  /** Default: every ticker with stored prices. */
  tickers?: string[];
  /** Candidate strategies (default: every registered one but buy_and_hold, the baseline they must beat). */
  strategies?: string[];
  /** Grid per strategy, `k=a..b:step,...` (default: a small grid per strategy). */
  grids?: Record<string, string>;
  /** Window layout and minimums (default: train 504 days, test 126, step 126, 2 train trades, 4 test trades, must beat buy-and-hold). */
  walkForward?: WalkForwardOptions;
  /** Tickers per activity (default 25). */
  batchSize?: number;
  /** Batches in flight at once (default 4). */
  maxConcurrentBatches?: number;
}

/** Result of {@link recommendWorkflow}: the headline per ticker (the evidence is stored with each recommendation). */
export interface RecommendResult {
  /** The workflow id: the `run_id` of the stored rows. */
  runId: string;
  candidates: RecommendCandidate[];
  tickers: RecommendTickerResult[];
}

export interface RecommendProgress {
  total: number;
  done: number;
}

export const recommendProgressQuery = defineQuery<RecommendProgress>('recommendProgress');

const fast = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: FAST_RETRY,
});

const batches = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: BATCH_RETRY,
});

/**
 * Walk-forward recommendation per ticker: candidates validated once, then
 * batches of tickers (bars read at once, every candidate walked forward,
 * results stored in Postgres and Redis). A failed batch fails its tickers only.
 */
export async function recommendWorkflow(input: RecommendInput = {}): Promise<RecommendResult> {
  const runId = workflowInfo().workflowId;
  const plan = await fast.planRecommendation({
    tickers: input.tickers,
    strategies: input.strategies,
    grids: input.grids,
  });
  const progress: RecommendProgress = { total: plan.tickers.length, done: 0 };
  setHandler(recommendProgressQuery, () => progress);

  const results = new Map<string, RecommendTickerResult>();
  await pool(chunk(plan.tickers, input.batchSize ?? 25), input.maxConcurrentBatches ?? 4, async (tickers) => {
    let batch: RecommendTickerResult[];
    try {
      batch = await batches.recommendTickerBatch({
        runId,
        tickers,
        candidates: plan.candidates,
        options: input.walkForward,
      });
    } catch (err) {
      const error = failureMessage(err);
      batch = tickers.map((ticker) => ({
        ticker,
        status: 'failed',
        strategy: null,
        params: null,
        reason: error,
        outOfSample: null,
        baseline: null,
        changed: false,
        error,
      }));
    }
    for (const r of batch) results.set(r.ticker, r);
    progress.done += batch.length;
  });
  return { runId, candidates: plan.candidates, tickers: plan.tickers.map((t) => results.get(t)!) };
}
