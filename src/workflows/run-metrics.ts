import { metricMeter, workflowInfo } from '@temporalio/workflow';
import type { DailyRunResult } from './daily-run.workflow';

// The app's own metrics, emitted through the worker's Temporal Runtime (the
// same Prometheus endpoint as the SDK's metrics, `worker.metricsAddress`).
// Workflow metrics go out through a sink, which the SDK skips on replay, so
// a replayed run never counts twice and no command is added to history.
// Created per call: the meter exists only inside a workflow, and this module
// is also loaded outside one (the API and CLI import workflows by reference).

/** Record a finished daily run: its signals by kind, emails sent/already sent/refused, stale tickers and duration. */
export function recordDailyRunMetrics(result: DailyRunResult): void {
  const signals = metricMeter.createCounter('algo_daily_run_signals', 'signals', 'Signals recorded by daily runs');
  for (const [kind, n] of Object.entries(result.counts ?? {})) if (n > 0) signals.add(n, { kind });
  const emails = metricMeter.createCounter('algo_daily_run_emails', 'emails', 'Digest emails of daily runs');
  emails.add(result.notifications.sent, { outcome: 'sent' });
  emails.add(result.notifications.skipped, { outcome: 'already_sent' });
  emails.add(result.notifications.failed, { outcome: 'refused' });
  metricMeter
    .createGauge('algo_daily_run_stale_tickers', 'int', 'tickers', 'Tickers without a bar for the latest run date')
    .set(result.stale?.length ?? 0);
  // Workflow time (Date.now() is the current workflow task's time): deterministic.
  metricMeter
    .createHistogram('algo_daily_run_duration_seconds', 'float', 'seconds', 'Wall time of a daily run, start to result')
    .record((Date.now() - workflowInfo().runStartTime.getTime()) / 1000, { trading_day: String(result.tradingDay) });
}

/** Count a daily run that failed (the watchdog tells the operator; this is for dashboards). */
export function recordDailyRunFailure(): void {
  metricMeter.createCounter('algo_daily_run_failures', 'runs', 'Daily runs that failed').add(1);
}
