import type { Kysely } from 'kysely';

/**
 * Issue 18, point 11: the run that recorded a signal (its workflow id and
 * run id), so that a second run of a date already processed can say "already
 * recorded by <run>" instead of reporting the earlier run's signals as its
 * own. Null for signals recorded before this column, and for reported ones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('signals')
    .addColumn('recorded_by_workflow', 'text')
    .addColumn('recorded_by_run', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signals').dropColumn('recorded_by_workflow').dropColumn('recorded_by_run').execute();
}
