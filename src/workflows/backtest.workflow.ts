import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { Activities } from '../activities';
import type { BacktestRequest, BacktestSummary } from '../domain/backtest/backtest-record';
import { BATCH_RETRY } from './activity-options';

export type { BacktestRequest, BacktestSummary } from '../domain/backtest/backtest-record';

// Validation is a quick read; bad input fails at once and is never retried.
const checks = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '10s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

// A backtest of 10,000 days runs in milliseconds; rendering the chart takes longest.
const jobs = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: BATCH_RETRY,
});

/**
 * An ad-hoc backtest, visible as a run in the Temporal UI under its workflow
 * id (which is also the result's id). The request is checked first (strategy,
 * parameters, dates inside the stored data, known ticker); then one activity
 * runs the engine on the stored bars, stores the report and persists the
 * result. Only the summary travels through history: bars and the equity
 * curve stay in Postgres.
 */
export async function backtestWorkflow(input: BacktestRequest): Promise<BacktestSummary> {
  const id = workflowInfo().workflowId;
  await checks.checkBacktest(input);
  return jobs.runBacktestJob({ id, request: input });
}
