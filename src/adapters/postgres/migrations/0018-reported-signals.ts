import type { Kysely } from 'kysely';

/**
 * Issue 18 (the old clients unchanged): signals.reported_by, who reported a
 * signal that the old strategy service sent to POST /notification/{ticker}/send
 * (null for the signals our daily run records). Such a signal is emailed as
 * reported, even without a stored bar of its date: so signals.close may be null.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signals').addColumn('reported_by', 'text').execute();
  await db.schema
    .alterTable('signals')
    .alterColumn('close', (c) => c.dropNotNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signals').dropColumn('reported_by').execute();
}
