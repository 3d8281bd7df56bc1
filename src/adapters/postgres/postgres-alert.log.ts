import type { Kysely } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type { AlertClaimStatus, AlertLog, DailyRunAlertCause } from '../../domain/monitoring/daily-run-watch';
import type { Database } from './database';

/** The watchdog's alerts in `daily_run_alerts`: one row per (date, cause). */
export class PostgresAlertLog implements AlertLog {
  constructor(private readonly db: Kysely<Database>) {}

  async claim(input: {
    date: IsoDate;
    cause: DailyRunAlertCause;
    recipient: string;
    messageId: string;
    workflowId: string | null;
    detail: string;
  }): Promise<AlertClaimStatus> {
    // Insert-or-nothing first: two watchdogs at once claim one row, and only the inserter sees `new`.
    const inserted = await this.db
      .insertInto('daily_run_alerts')
      .values({
        date: input.date,
        cause: input.cause,
        status: 'claimed',
        recipient: input.recipient,
        message_id: input.messageId,
        workflow_id: input.workflowId,
        detail: input.detail,
      })
      .onConflict((oc) => oc.columns(['date', 'cause']).doNothing())
      .returning('status')
      .executeTakeFirst();
    if (inserted) return 'new';
    const existing = await this.db
      .selectFrom('daily_run_alerts')
      .select('status')
      .where('date', '=', input.date)
      .where('cause', '=', input.cause)
      .executeTakeFirstOrThrow();
    return existing.status;
  }

  async markSent(date: IsoDate, cause: DailyRunAlertCause): Promise<void> {
    await this.db
      .updateTable('daily_run_alerts')
      .set({ status: 'sent', sent_at: new Date(), error: null })
      .where('date', '=', date)
      .where('cause', '=', cause)
      .execute();
  }

  async markRefused(date: IsoDate, cause: DailyRunAlertCause, error: string): Promise<void> {
    await this.db
      .updateTable('daily_run_alerts')
      .set({ status: 'refused', error })
      .where('date', '=', date)
      .where('cause', '=', cause)
      .execute();
  }
}
