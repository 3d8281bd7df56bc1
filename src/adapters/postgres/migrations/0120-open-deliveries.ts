import { sql, type Kysely } from 'kysely';

/**
 * deliveries_open: the deliveries claimed and not sent, a few rows whatever
 * the table's size. Each daily run looks there for the "symbol removed"
 * emails (kind `ticker-dropped:<TICKER>`) a mail outage left unsent (issue 18
 * point 1), without reading every digest ever sent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('deliveries_open')
    .on('deliveries')
    .columns(['kind', 'run_date'])
    .where(sql.ref('status'), '=', 'claimed')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deliveries_open').ifExists().execute();
}
