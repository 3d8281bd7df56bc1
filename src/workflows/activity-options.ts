import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';

/**
 * Short activities (lookups, small writes): retried quickly, about five
 * minutes in all (1+2+4+...+30 s over 10 attempts), then the failure is the
 * workflow's to report; bad input is not retried.
 */
export const FAST_RETRY: RetryPolicy = {
  initialInterval: '1s',
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** Batches of tickers (seconds to minutes of work each): five attempts, then the batch's tickers fail alone. */
export const BATCH_RETRY: RetryPolicy = {
  initialInterval: '1s',
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

export const FAST_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: FAST_RETRY,
};
