import type { NotificationTarget } from '../activities/notifications.activities';
import { isoDateInZone, type IsoDate } from '../domain/dates';
import type { ReadjustmentCause } from '../domain/readjustment';

/**
 * Every workflow id and schedule id the system uses, in one place. An id is
 * part of a workflow's contract: some are locks (one daily run, one fan-out
 * per date at a time), some are names people search for in the Temporal UI.
 * Ids with a random part take it as an argument, so that workflow code can
 * call these too (workflows draw no randomness of their own).
 */

/** The daily Temporal Schedule. */
export const DAILY_SCHEDULE_ID = 'daily-run';

/** The prefix of the runs the schedule starts (Temporal appends the scheduled time). */
export const SCHEDULED_DAILY_RUN_ID_PREFIX = 'daily-scheduled';

/** A daily run started by hand (CLI or API) for `date`: one at a time per date, whatever door it came through. */
export const dailyRunWorkflowId = (date: IsoDate): string => `daily-${date}`;

/**
 * The date a daily run is for, from its workflow id: `daily-<date>` (by hand)
 * or `daily-scheduled-<scheduled instant>` (the Schedule appends its RFC 3339
 * time; the run's date is that instant's day in New York, as the run computes
 * it); null for any other id.
 */
export function dailyRunDateOfWorkflowId(workflowId: string): IsoDate | null {
  const scheduledPrefix = `${SCHEDULED_DAILY_RUN_ID_PREFIX}-`;
  if (workflowId.startsWith(scheduledPrefix)) {
    const ms = Date.parse(workflowId.slice(scheduledPrefix.length));
    return Number.isNaN(ms) ? null : isoDateInZone(ms, 'America/New_York');
  }
  const m = /^daily-(\d{4}-\d{2}-\d{2})$/.exec(workflowId);
  return m ? m[1] : null;
}

/** The daily run watchdog's Schedule (every 15 minutes) and the prefix of the checks it starts. */
export const WATCHDOG_SCHEDULE_ID = 'daily-run-watchdog';

/** The public playground's cleanup Schedule (every hour) and the prefix of the runs it starts. */
export const PLAYGROUND_CLEANUP_SCHEDULE_ID = 'playground-cleanup';

/** A watchdog check started by hand (`algo watchdog check`). */
export const watchdogWorkflowId = (unique: string): string => `daily-run-watchdog-${unique}`;

/** The ingestion child of a daily run. */
export const dailyIngestionWorkflowId = (parentWorkflowId: string): string => `${parentWorkflowId}-ingest`;

/** A stand-alone ingestion (`algo ingest`). */
export const ingestWorkflowId = (asOf: IsoDate, unique: string): string => `ingest-${asOf}-${unique}`;

/**
 * The workflow id of a re-adjustment: one per ticker and split date, or per
 * ticker and ingestion day for a changed provider history. Together with the
 * record keyed by it, a cause found twice is applied once.
 */
export function readjustWorkflowId(ticker: string, cause: ReadjustmentCause, asOf: IsoDate): string {
  return cause.reason === 'split' ? `readjust-${ticker}-split-${cause.date}` : `readjust-${ticker}-history-${asOf}`;
}

/** `algo readjust approve ID`: the run that applies quarantined re-adjustment `id` (once). */
export const readjustApproveWorkflowId = (id: number): string => `readjust-approve-${id}`;

/** `algo readjust undo ID`: the run that puts back what re-adjustment `id` replaced (once). */
export const readjustUndoWorkflowId = (id: number): string => `readjust-undo-${id}`;

/** One email fan-out, and its lock: `emails-daily-2018-02-07`, `emails-notification:AAPL-2018-02-07`. */
export function notificationsWorkflowId(target: NotificationTarget): string {
  return `emails-${target.kind}-${target.date}`;
}

/** A manual send of a ticker's signals (`POST /notification/{ticker}/send`, `algo notify`). */
export const notifyTickerWorkflowId = (ticker: string, date: IsoDate | undefined, unique: string): string =>
  `notify-${ticker}-${date ?? 'latest'}-${unique}`;

/** A backtest: also its public id (GET /backtests/{id}). */
export const backtestWorkflowId = (ticker: string, strategy: string, unique: string): string =>
  `backtest-${ticker}-${strategy}-${unique}`;

/** A parameter sweep: also the sweep's id in Postgres. */
export const sweepWorkflowId = (strategy: string, unique: string): string => `sweep-${strategy}-${unique}`;

/** A walk-forward recommendation run: also its run id in Postgres. */
export const recommendWorkflowId = (unique: string): string => `recommend-${unique}`;
