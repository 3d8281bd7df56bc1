import { sql, type Kysely } from 'kysely';

/**
 * signals.run_date: the daily run that recorded the signal. A run that
 * catches up missed days records their signals too; the digest of that run
 * carries them (they were never emailed), selected by this column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signals').addColumn('run_date', 'date').execute();
  // Before this column every run emailed only its own day's signals.
  await sql`update signals set run_date = date`.execute(db);
  await sql`alter table signals alter column run_date set not null`.execute(db);
  await db.schema
    .createIndex('signals_run_date_idx')
    .on('signals')
    .columns(['run_date', 'ticker', 'strategy'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('signals_run_date_idx').ifExists().execute();
  await db.schema.alterTable('signals').dropColumn('run_date').execute();
}
