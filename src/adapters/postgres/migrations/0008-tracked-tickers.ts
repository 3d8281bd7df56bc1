import { sql, type Kysely } from 'kysely';

/**
 * tracked_tickers: tickers added to the daily job beside the configured and
 * subscribed ones (`POST /tickers`, `algo tickers add`). The `tickers` table
 * also holds every ticker ever ingested (`algo ingest --tickers X`), so it
 * cannot say what the daily run should cover. Tickers that the old
 * `POST /tickers` registered there and that were never ingested are carried over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tracked_tickers')
    .addColumn('ticker', 'text', (c) => c.primaryKey())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into tracked_tickers (ticker, added_at, source)
            select symbol, created_at, 'migration' from tickers where last_date is null
            on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tracked_tickers').ifExists().execute();
}
