import type { DailyRunResult } from '../workflows/daily-run.workflow';

/** The parts of a daily run's result its headline reads (stored results of older runs lack some). */
export type DailyRunHeadlineInput = Partial<DailyRunResult>;

/** All signals a result holds: every kind counted, or (before the bounded-result patch) every one listed. */
export function recordedSignals(result: DailyRunHeadlineInput): number {
  const c = result.counts;
  return c ? c.BUY + c.SELL + c.HOLD + c.WAIT : (result.signals?.length ?? 0);
}

/** What a run recorded about the emails: `nothing to send`, or how many went. */
function emailsPart(result: DailyRunHeadlineInput): string {
  const sent = result.notifications?.sent ?? 0;
  return sent === 0 ? 'nothing to send' : `${sent} email${sent === 1 ? '' : 's'} sent`;
}

/**
 * The one-line headline of a daily run, the same for `algo run-daily`, the
 * demo, GET /runs and the web app's runs page. A run of a date already
 * processed says so: `2024-01-05: already recorded by daily-2024-01-05 (run
 * 1f2e…): 4 signals, 0 new, nothing to send`, not "4 signals recorded".
 * Null for a result without a date (a run still going, or failed).
 */
export function dailyRunHeadline(result: DailyRunHeadlineInput): string | null {
  if (!result.date) return null;
  if (result.tradingDay === false) return `${result.date} is not a trading day (${result.closure}): nothing to do.`;
  const total = recordedSignals(result);
  const by = result.alreadyRecordedBy;
  if (by) {
    const run = by.workflowId ? `${by.workflowId}${by.runId ? ` (run ${by.runId})` : ''}` : 'an earlier run';
    return `${result.date}: already recorded by ${run}: ${total} signals, 0 new, ${emailsPart(result)}`;
  }
  const c = result.counts;
  const notified = (result.signals ?? []).filter((s) => s.signal === 'BUY' || s.signal === 'SELL').length;
  const kinds = c ? ` (${c.BUY} BUY, ${c.SELL} SELL, ${c.HOLD} HOLD, ${c.WAIT} WAIT)` : `, ${notified} BUY/SELL`;
  const fresh = result.newSignals !== undefined && result.newSignals !== total ? `, ${result.newSignals} new` : '';
  const tickers = result.tickers?.length ?? 0;
  return `${result.date}: ${total} signals recorded${kinds}${fresh} for ${tickers} ticker${tickers === 1 ? '' : 's'}`;
}
