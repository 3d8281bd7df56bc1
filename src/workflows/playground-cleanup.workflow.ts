import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlaygroundCleanupResult } from '../domain/backtest/playground-retention';
import { FAST_RETRY } from './activity-options';

/** Input of {@link playgroundCleanupWorkflow}: every field optional (its Schedule passes `{}`). */
export interface PlaygroundCleanupInput {
  /** The instant ages are judged at, ISO 8601; default the workflow's start (tests pick their own). */
  at?: string;
  /** Results deleted per page of the activity (default 100). */
  pageSize?: number;
}

// Pages of deletions: a heartbeat per page tells a stuck activity from a long one; a retry resumes with what is still due.
const cleanup = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: FAST_RETRY,
});

/**
 * Deletes the public playground's results older than `playground.retentionDays`
 * (rows and stored report files), started every hour by its Schedule
 * (`algo schedule create`). Admin backtests are never touched.
 */
export async function playgroundCleanupWorkflow(input: PlaygroundCleanupInput = {}): Promise<PlaygroundCleanupResult> {
  // Workflow time is the start's, from history: a replay judges the same instant.
  const at = input.at ?? new Date().toISOString();
  return cleanup.deleteExpiredPlaygroundResults({ at, ...(input.pageSize ? { pageSize: input.pageSize } : {}) });
}
