import { sql, type Kysely } from 'kysely';

/**
 * Issue 18 (bad rows fail alone): ingestion_run_tickers.flagged, the rows a
 * run stored but flagged, as [{date, reason}] (a jump its day's split
 * explains), so that a resumed batch reports them as the first attempt did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('ingestion_run_tickers')
    .addColumn('flagged', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ingestion_run_tickers').dropColumn('flagged').execute();
}
