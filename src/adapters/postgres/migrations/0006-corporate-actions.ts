import { sql, type Kysely } from 'kysely';

/**
 * Issue 9: splits and dividends per (ticker, date), bars stored split-adjusted
 * with their raw close, and the splits an ingestion found after a ticker's
 * stored history (its stored bars are not adjusted for them yet).
 *
 * It also drops the foreign key daily_bars.ticker -> tickers.symbol: its
 * per-row trigger cost 3 of the 4 seconds of inserting the 619,017 S&P bars
 * (measured: 4.2 s with it, 1.0 s without). The one writer of bars
 * (PostgresPriceRepository.saveIngestions) inserts and locks the ticker's
 * row in the same transaction before its bars, which keeps what the key
 * guaranteed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('corporate_actions')
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('date', 'date', (c) => c.notNull())
    // Shares after per share before (2 = 2-for-1); 1 = no split that day.
    .addColumn('split_factor', 'double precision', (c) => c.notNull().defaultTo(1))
    // Cash per share as paid that day, not adjusted; 0 = none.
    .addColumn('dividend', 'double precision', (c) => c.notNull().defaultTo(0))
    // A factor that is no ratio of small whole numbers (1.589): probably a spin-off.
    .addColumn('spin_off', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('first_run_id', 'text')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('corporate_actions_pk', ['ticker', 'date'])
    .execute();

  await db.schema.alterTable('daily_bars').dropConstraint('daily_bars_ticker_fkey').ifExists().execute();

  // null: the bar was not adjusted (close is the raw close).
  await db.schema.alterTable('daily_bars').addColumn('raw_close', 'double precision').execute();
  // The product of later split factors the prices were divided by (1: none).
  await db.schema
    .alterTable('daily_bars')
    .addColumn('split_factor', 'double precision', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .alterTable('ingestion_run_tickers')
    .addColumn('new_splits', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ingestion_run_tickers').dropColumn('new_splits').execute();
  await db.schema.alterTable('daily_bars').dropColumn('split_factor').execute();
  await db.schema.alterTable('daily_bars').dropColumn('raw_close').execute();
  await db.schema.dropTable('corporate_actions').ifExists().execute();
  await db.schema
    .alterTable('daily_bars')
    .addForeignKeyConstraint('daily_bars_ticker_fkey', ['ticker'], 'tickers', ['symbol'])
    .execute();
}
