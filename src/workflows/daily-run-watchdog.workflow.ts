import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DailyRunWatchResult } from '../domain/monitoring/daily-run-watch';
import { FAST_ACTIVITY_OPTIONS } from './activity-options';

/** Input of {@link dailyRunWatchdogWorkflow}: every field optional (its Schedule passes `{}`). */
export interface DailyRunWatchdogInput {
  /** The instant to judge, ISO 8601; default the workflow's start (tests and `algo watchdog check --at`). */
  at?: string;
}

const fast = proxyActivities<Activities>(FAST_ACTIVITY_OPTIONS);

/**
 * The daily run's watchdog, started every 15 minutes by its Schedule: when
 * today's trading-day run has failed, or has not finished by `alerts.deadline`,
 * `alerts.email` gets one email per day and cause (the check and the
 * once-only record are one activity, retried as a whole).
 */
export async function dailyRunWatchdogWorkflow(input: DailyRunWatchdogInput = {}): Promise<DailyRunWatchResult> {
  // Workflow time is the start's, from history: a replay judges the same instant.
  const at = input.at ?? new Date().toISOString();
  return fast.checkDailyRun({ at });
}
