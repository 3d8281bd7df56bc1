import type { Kysely } from 'kysely';

/**
 * Issue 9 (a split after a ticker is stored): ingestion_run_tickers.readjustment,
 * why the ticker's stored history must be rewritten (a ReadjustmentCause), so
 * that a retried ingestion batch that resumes from recorded results still
 * starts the re-adjustment. Null when none is due.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ingestion_run_tickers').addColumn('readjustment', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ingestion_run_tickers').dropColumn('readjustment').execute();
}
