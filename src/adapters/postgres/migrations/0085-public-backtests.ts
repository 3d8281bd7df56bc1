import { sql, type Kysely } from 'kysely';

/**
 * public_backtests (issue 18 point 4): the backtests the public playground
 * started, so that only they expire after `playground.retentionDays` and
 * count against `playground.maxStoredResults`. A deleted one keeps its row
 * (`deleted_at`, `deleted_reason`) for a year, so its link says why it is
 * gone. No foreign key: the id is recorded before its run stores a result.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('public_backtests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_reason', 'text')
    .execute();
  // The kept ones by age: the cleanup's and the cap's reads.
  await db.schema
    .createIndex('public_backtests_kept_by_age')
    .on('public_backtests')
    .column('created_at')
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('public_backtests_deleted_at')
    .on('public_backtests')
    .column('deleted_at')
    .where(sql.ref('deleted_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('public_backtests').ifExists().execute();
}
