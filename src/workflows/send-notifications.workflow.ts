import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, patched, proxyActivities, sleep } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import { EMAIL_ACTIVITIES_AT_ONCE, EMAIL_ACTIVITY_TIMEOUT_SECONDS } from '../domain/notifications/fan-out';
import type { Activities } from '../activities';
import type { NotificationCounts, NotificationTarget } from '../activities/notifications.activities';
import { FAST_ACTIVITY_OPTIONS } from './activity-options';
import { pool } from './batching';
import { notificationsWorkflowId } from './workflow-ids';

/** Patch id: the email fan-out moved into the child workflow `emails-<kind>-<date>`. */
export const EMAILS_AS_CHILD_WORKFLOW = 'emails-as-child-workflow';

/** Input of {@link sendNotificationsWorkflow}. */
export interface SendNotificationsInput {
  target: NotificationTarget;
  /** Subscribers per email activity. */
  pageSize: number;
}

const fast = proxyActivities<Activities>(FAST_ACTIVITY_OPTIONS);

// SMTP outages can last: keep retrying with backoff for hours, not minutes.
const email = proxyActivities<Activities>({
  startToCloseTimeout: `${EMAIL_ACTIVITY_TIMEOUT_SECONDS} seconds`,
  scheduleToCloseTimeout: '12 hours',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  },
});

/** Email activities in flight at once: 8 pages of 200 keep well inside Temporal's pending-activity limit. */
const EMAIL_LANES = EMAIL_ACTIVITIES_AT_ONCE;

/** Email every page of a fan-out, a few activities at a time; returns the totals. */
async function fanOutNotifications(target: NotificationTarget, pageSize: number): Promise<NotificationCounts> {
  const totals: NotificationCounts = { sent: 0, skipped: 0, failed: 0 };
  const pages = await fast.planNotifications({ ...target, pageSize });
  await pool(pages, EMAIL_LANES, async (page) => {
    const counts = await email.sendNotifications({ ...target, page });
    totals.sent += counts.sent;
    totals.skipped += counts.skipped;
    totals.failed += counts.failed;
  });
  return totals;
}

/**
 * One fan-out (the daily digest of a date, or a manual send of a ticker's
 * signals) as its own workflow, watched and retried in the UI apart from the
 * run that started it. Its id, {@link notificationsWorkflowId}, is the lock:
 * two runs of the same date never send at once.
 */
export async function sendNotificationsWorkflow(input: SendNotificationsInput): Promise<NotificationCounts> {
  return fanOutNotifications(input.target, input.pageSize);
}

/**
 * Run the fan-out as the child workflow {@link notificationsWorkflowId}.
 * While another run's fan-out of the same kind and date is under way (a
 * manual `run-daily` beside the scheduled one), wait for it and then run:
 * everything it sent is skipped, so no subscriber gets a second copy.
 */
async function fanOutOnce(target: NotificationTarget, pageSize: number): Promise<NotificationCounts> {
  // 15 s, doubling up to 5 minutes: the other fan-out may be riding out an SMTP outage for hours.
  for (let waitSeconds = 15; ; waitSeconds = Math.min(waitSeconds * 2, 300)) {
    try {
      return await executeChild(sendNotificationsWorkflow, {
        workflowId: notificationsWorkflowId(target),
        args: [{ target, pageSize }],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      await sleep(waitSeconds * 1000);
    }
  }
}

/**
 * The email fan-out of a run (daily or manual send). Runs started before the
 * {@link EMAILS_AS_CHILD_WORKFLOW} patch send from their own workflow; new
 * runs send from the child whose id locks the (kind, date) fan-out.
 */
export async function sendEmails(target: NotificationTarget, pageSize: number): Promise<NotificationCounts> {
  return patched(EMAILS_AS_CHILD_WORKFLOW) ? fanOutOnce(target, pageSize) : fanOutNotifications(target, pageSize);
}
