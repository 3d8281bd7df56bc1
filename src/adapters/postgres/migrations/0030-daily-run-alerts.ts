import { sql, type Kysely } from 'kysely';

/**
 * Issue 17.5 (the watchdog): one row per alert about a day's daily run, keyed
 * by (date, cause), claimed before the email goes and marked after, so each
 * day and cause is alerted exactly once whatever the retries and restarts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('daily_run_alerts')
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull().check(sql`cause in ('failed', 'not_finished')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('claimed', 'sent', 'refused')`))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addPrimaryKeyConstraint('daily_run_alerts_pkey', ['date', 'cause'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('daily_run_alerts').execute();
}
