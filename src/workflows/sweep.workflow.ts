import { defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { IsoDate } from '../domain/dates';
import type { Activities } from '../activities';
import type { SweepTickerResult } from '../activities/research.activities';
import { chunk, failureMessage, pool } from './batching';
import { BATCH_RETRY, FAST_RETRY } from './activity-options';

/** Input of {@link sweepWorkflow}. */
export interface SweepInput {
  /** A registered strategy. */
  strategy: string;
  /** `k=a..b:step,...` (parameters not named keep their defaults). */
  grid: string;
  /** Default: every ticker with stored prices. */
  tickers?: string[];
  /** First day of every backtest (default: each ticker's first bar). */
  from?: IsoDate;
  /** Last day (default: each ticker's last bar). */
  to?: IsoDate;
  /** Starting cash of every backtest (default 1000). */
  capital?: number;
  /** Tickers per activity (default 25: 505 tickers are 21 activities). */
  batchSize?: number;
  /** Batches in flight at once (default 4). */
  maxConcurrentBatches?: number;
}

/** Result of {@link sweepWorkflow}: the best set per ticker; every row is in Postgres under `sweepId`. */
export interface SweepResult {
  /** The workflow id; the key of the stored rows. */
  sweepId: string;
  strategy: string;
  grid: string;
  /** Valid parameter sets per ticker. */
  combos: number;
  /** Sets of the grid the strategy refused (e.g. fast >= slow), with the first reason. */
  skipped: number;
  skippedReason?: string;
  /** Backtests run (tickers swept x sets). */
  backtests: number;
  tickers: SweepTickerResult[];
}

/** Progress for clients. */
export interface SweepProgress {
  total: number;
  done: number;
  failed: number;
}

export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');

const fast = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: FAST_RETRY,
});

// A batch is seconds of CPU; a killed worker is noticed by the heartbeat timeout.
const batches = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: BATCH_RETRY,
});

/**
 * A parameter sweep: one strategy over a grid for many tickers, in batches
 * of tickers (each batch one activity that reads its bars in one query,
 * backtests every set and stores every row in one insert). Only the best set
 * per ticker travels through history. A failed batch fails its tickers only.
 */
export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const sweepId = workflowInfo().workflowId;
  const plan = await fast.planSweep({ strategy: input.strategy, grid: input.grid, tickers: input.tickers });
  const progress: SweepProgress = { total: plan.tickers.length, done: 0, failed: 0 };
  setHandler(sweepProgressQuery, () => progress);
  await fast.startSweep({
    sweepId,
    strategy: plan.strategy,
    grid: input.grid,
    tickers: plan.tickers.length,
    from: input.from,
    to: input.to,
    initialCapital: input.capital,
  });

  const results = new Map<string, SweepTickerResult>();
  await pool(chunk(plan.tickers, input.batchSize ?? 25), input.maxConcurrentBatches ?? 4, async (tickers) => {
    let batch: SweepTickerResult[];
    try {
      batch = await batches.sweepTickerBatch({
        sweepId,
        strategy: plan.strategy,
        grid: input.grid,
        tickers,
        from: input.from,
        to: input.to,
        initialCapital: input.capital,
      });
    } catch (err) {
      const error = failureMessage(err);
      batch = tickers.map((ticker) => ({ ticker, status: 'failed', best: null, error }));
    }
    for (const r of batch) {
      results.set(r.ticker, r);
      progress.done += 1;
      if (r.status !== 'ok') progress.failed += 1;
    }
  });

  await fast.finishSweep({ sweepId });
  const tickers = plan.tickers.map((t) => results.get(t)!);
  return {
    sweepId,
    strategy: plan.strategy,
    grid: input.grid,
    combos: plan.combos,
    skipped: plan.skipped,
    ...(plan.skippedReason ? { skippedReason: plan.skippedReason } : {}),
    backtests: tickers.filter((t) => t.status === 'ok').length * plan.combos,
    tickers,
  };
}
