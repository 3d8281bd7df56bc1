import { sql, type Kysely } from 'kysely';

/**
 * Issue 9 (provider failover, re-adjustment):
 * - ingestion_run_tickers.provider: the provider that served the ticker in
 *   that run; .failover: the providers tried before it and why they failed.
 * - price_readjustments: every re-adjustment or re-backfill of a stored
 *   ticker's history (a new split, or a provider's adjusted history that no
 *   longer matches the stored overlap), with what it changed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('ingestion_run_tickers')
    .addColumn('provider', 'text')
    .addColumn('failover', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();

  await db.schema
    .createTable('price_readjustments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('ticker', 'text', (c) => c.notNull())
    /** The split's ex-date, or the first stored date whose adjusted close no longer matched. */
    .addColumn('date', 'date', (c) => c.notNull())
    /** Stored history was divided by this (a 2-for-1 split: 2); null for a re-backfill without one factor. */
    .addColumn('factor', 'double precision')
    .addColumn('rows_changed', 'integer', (c) => c.notNull())
    /** `split` or `adjusted_history_changed`. */
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    /** The re-adjustment workflow (one per ticker and cause: a retried one records once). */
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('ingestion_run_id', 'text')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('price_readjustments_once', ['workflow_id'])
    .execute();
  await db.schema
    .createIndex('price_readjustments_ticker_idx')
    .on('price_readjustments')
    .columns(['ticker', 'date'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('price_readjustments').ifExists().execute();
  await db.schema.alterTable('ingestion_run_tickers').dropColumn('failover').dropColumn('provider').execute();
}
