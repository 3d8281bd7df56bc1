import { isTradingDay } from '../calendar';
import { isoDateInZone, type IsoDate } from '../dates';
import { escapeHtml } from '../html';
import { MESSAGE_ID_DOMAIN } from '../notifications/delivery';
import { PermanentDeliveryError, type Mailer } from '../mailer';

/**
 * The watchdog of the daily run (issue 17.5): on a trading day, the run of
 * that day must finish by a deadline in New York. When it has failed, or has
 * not finished by the deadline, one alert email goes to the operator, once
 * per day and cause (the alert log is the idempotency key).
 */

/** The exchange's time zone: dates and the deadline are read in it. */
export const WATCH_ZONE = 'America/New_York';

/** Why an alert is sent: the day's run failed, or none finished by the deadline (it runs on, or never started). */
export type DailyRunAlertCause = 'failed' | 'not_finished';

/** Temporal's run states that end a run without a result. */
const UNSUCCESSFUL = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELED']);

/** One run of a day's daily-run workflow, as the watchdog sees it. */
export interface WatchedRun {
  workflowId: string;
  runId: string;
  /** Temporal's status name: RUNNING, COMPLETED, FAILED, TIMED_OUT, TERMINATED, CANCELED, ... */
  status: string;
  /** ISO instant the run started. */
  startTime: string | null;
  /** What failed (the innermost failure's message), for an unsuccessful run. */
  failure?: string;
  /** The run's page in the Temporal Web UI. */
  url: string;
}

/** Reads the runs of a trading day from Temporal. */
export interface DailyRunLookup {
  /** Every run of `dailyRunWorkflow` for `date` (started by hand as `daily-<date>` or by the Schedule), newest first. */
  runsOfDate(date: IsoDate): Promise<WatchedRun[]>;
}

/** Where a claimed alert stands: new (send it), claimed (an attempt died before the mark: send it again), sent, refused. */
export type AlertClaimStatus = 'new' | 'claimed' | 'sent' | 'refused';

/** The record of alerts sent, keyed by (date, cause): the once-per-day-and-cause guarantee. */
export interface AlertLog {
  /** Claim the alert of (date, cause) for `recipient`, or find the earlier claim; returns its status before this call. */
  claim(input: {
    date: IsoDate;
    cause: DailyRunAlertCause;
    recipient: string;
    messageId: string;
    workflowId: string | null;
    detail: string;
  }): Promise<AlertClaimStatus>;
  /** Mark the claimed alert sent. */
  markSent(date: IsoDate, cause: DailyRunAlertCause): Promise<void>;
  /** Mark the claimed alert refused for good by the mail server, with its reply. */
  markRefused(date: IsoDate, cause: DailyRunAlertCause, error: string): Promise<void>;
}

/** Minutes after midnight of an `HH:MM` time. */
export function minutesOfTime(value: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) throw new RangeError(`"${value}" is not a time HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Minutes after midnight in `timeZone` at instant `ms`. */
export function minutesInZone(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(ms)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return Number(parts.hour) * 60 + Number(parts.minute);
}

/** What the watchdog found wrong with a day's runs, and the run it is about (null: none started). */
export interface DailyRunProblem {
  cause: DailyRunAlertCause;
  run: WatchedRun | null;
}

/**
 * The rule: a day whose run completed is fine; a failed run with no other
 * running is a failure at once; past the deadline, a day with no completed
 * run is late (naming the run still going, or none). Runs are newest first.
 */
export function dailyRunProblem(runs: readonly WatchedRun[], pastDeadline: boolean): DailyRunProblem | null {
  if (runs.some((r) => r.status === 'COMPLETED')) return null;
  const running = runs.find((r) => r.status === 'RUNNING');
  const failed = runs.find((r) => UNSUCCESSFUL.has(r.status));
  if (failed && !running) return { cause: 'failed', run: failed };
  if (pastDeadline) return { cause: 'not_finished', run: running ?? null };
  return null;
}

/** Deterministic per (date, cause), so that a resend after a crash is the same message: `alert.failed.2024-01-09@algo-signals`. */
export const alertMessageId = (date: IsoDate, cause: DailyRunAlertCause): string =>
  `alert.${cause}.${date}@${MESSAGE_ID_DOMAIN}`;

/** The alert email's subject and body: which run, what failed, and its link. */
export function composeDailyRunAlert(input: {
  date: IsoDate;
  deadline: string;
  problem: DailyRunProblem;
  runsUrl: string;
}): { subject: string; text: string; html: string } {
  const { date, deadline, problem } = input;
  const run = problem.run;
  const subject =
    problem.cause === 'failed'
      ? `[algo-signals] daily run of ${date} failed`
      : `[algo-signals] daily run of ${date} not finished by ${deadline} ${WATCH_ZONE}`;
  const lines =
    problem.cause === 'failed'
      ? [
          `The daily run of ${date} failed.`,
          `Run: ${run?.workflowId} (run id ${run?.runId}), status ${run?.status}`,
          `What failed: ${run?.failure ?? 'no failure message'}`,
          `Temporal UI: ${run?.url}`,
        ]
      : run
        ? [
            `The daily run of ${date} has not finished by ${deadline} ${WATCH_ZONE}; it is still running.`,
            `Run: ${run.workflowId} (run id ${run.runId}), started ${run.startTime ?? 'at an unknown time'}`,
            `Temporal UI: ${run.url}`,
          ]
        : [
            `No daily run of ${date} has started by ${deadline} ${WATCH_ZONE}.`,
            `Check the daily-run Schedule and the worker: npm run algo -- schedule describe`,
            `Temporal UI: ${input.runsUrl}`,
          ];
  const text = `${lines.join('\n')}\n`;
  const html = `<html><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`;
  return { subject, text, html };
}

/** What one watchdog check found and did. */
export interface DailyRunWatchResult {
  date: IsoDate;
  tradingDay: boolean;
  /** Runs of the date found in Temporal. */
  runs: number;
  /** The problem found (null: none, or not a trading day). */
  cause: DailyRunAlertCause | null;
  /** What happened to its alert. */
  alert: 'sent' | 'already_sent' | 'refused' | 'no_recipient' | null;
}

export interface DailyRunWatchDependencies {
  runs: DailyRunLookup;
  alerts: AlertLog;
  mailer: Mailer;
  /** `alerts.email`: who is told (absent: problems are found and reported, nothing is sent). */
  recipient?: string;
  /** `alerts.deadline`, HH:MM in New York. */
  deadline: string;
  /** The Temporal UI's list of daily runs, for an alert about a run that never started. */
  runsUrl: string;
}

/** Check the trading day of instant `at` (ms) and send its alert once when its run failed or is late. */
export async function watchDailyRun(deps: DailyRunWatchDependencies, at: number): Promise<DailyRunWatchResult> {
  const date = isoDateInZone(at, WATCH_ZONE);
  if (!isTradingDay(date)) return { date, tradingDay: false, runs: 0, cause: null, alert: null };
  const runs = await deps.runs.runsOfDate(date);
  const pastDeadline = minutesInZone(at, WATCH_ZONE) >= minutesOfTime(deps.deadline);
  const problem = dailyRunProblem(runs, pastDeadline);
  const found = { date, tradingDay: true, runs: runs.length, cause: problem?.cause ?? null };
  if (!problem) return { ...found, alert: null };
  if (!deps.recipient) return { ...found, alert: 'no_recipient' };

  const messageId = alertMessageId(date, problem.cause);
  const email = composeDailyRunAlert({ date, deadline: deps.deadline, problem, runsUrl: deps.runsUrl });
  const before = await deps.alerts.claim({
    date,
    cause: problem.cause,
    recipient: deps.recipient,
    messageId,
    workflowId: problem.run?.workflowId ?? null,
    detail: email.text,
  });
  if (before === 'sent') return { ...found, alert: 'already_sent' };
  if (before === 'refused') return { ...found, alert: 'refused' };
  try {
    await deps.mailer.send({ messageId, to: deps.recipient, ...email });
  } catch (err) {
    if (!(err instanceof PermanentDeliveryError)) throw err;
    await deps.alerts.markRefused(date, problem.cause, err.message);
    return { ...found, alert: 'refused' };
  }
  await deps.alerts.markSent(date, problem.cause);
  return { ...found, alert: 'sent' };
}
