import { proxyActivities } from '@temporalio/workflow';
import type { IsoDate } from '../domain/dates';
import type { Activities } from '../activities';
import type { NotificationCounts } from '../activities/notifications.activities';
import { sendEmails } from './send-notifications.workflow';
import { FAST_RETRY } from './activity-options';

/** Input of {@link notifyTickerWorkflow} (the old `POST /notification/{ticker}/send`). */
export interface NotifyTickerInput {
  ticker: string;
  /** Signals of this date; default: the ticker's latest signal date. */
  date?: IsoDate;
}

export interface NotifyTickerResult {
  ticker: string;
  date: IsoDate | null;
  notifications: NotificationCounts;
}

const { latestSignalDate } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: FAST_RETRY });

/**
 * Email every confirmed subscriber of one ticker its BUY and SELL signals of
 * one date; once per (ticker, date, subscriber), however often it is asked.
 */
export async function notifyTickerWorkflow(input: NotifyTickerInput): Promise<NotifyTickerResult> {
  const date = input.date ?? (await latestSignalDate({ ticker: input.ticker }));
  if (!date) return { ticker: input.ticker, date: null, notifications: { sent: 0, skipped: 0, failed: 0 } };
  const notifications = await sendEmails({ kind: `notification:${input.ticker}`, date, ticker: input.ticker }, 200);
  return { ticker: input.ticker, date, notifications };
}
