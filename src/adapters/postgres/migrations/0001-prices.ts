import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tickers')
    .addColumn('symbol', 'text', (c) => c.primaryKey())
    .addColumn('first_date', 'date')
    .addColumn('last_date', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('daily_bars')
    .addColumn('ticker', 'text', (c) => c.notNull().references('tickers.symbol'))
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('open', 'double precision', (c) => c.notNull())
    .addColumn('high', 'double precision', (c) => c.notNull())
    .addColumn('low', 'double precision', (c) => c.notNull())
    .addColumn('close', 'double precision', (c) => c.notNull())
    .addColumn('adj_close', 'double precision', (c) => c.notNull())
    .addColumn('volume', 'bigint', (c) => c.notNull())
    .addColumn('sma7', 'double precision')
    .addColumn('sma21', 'double precision')
    .addColumn('sma50', 'double precision')
    .addColumn('sma100', 'double precision')
    .addColumn('sma200', 'double precision')
    .addColumn('ema12', 'double precision')
    .addColumn('ema26', 'double precision')
    .addColumn('macd', 'double precision')
    .addColumn('macd_signal', 'double precision')
    .addPrimaryKeyConstraint('daily_bars_pk', ['ticker', 'date'])
    .execute();

  await db.schema
    .createTable('ingestion_runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('as_of', 'date', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('tickers', sql`text[]`, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('ingestion_run_tickers')
    .addColumn('run_id', 'text', (c) => c.notNull().references('ingestion_runs.run_id').onDelete('cascade'))
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('inserted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('last_date', 'date')
    .addColumn('error', 'text')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('ingestion_run_tickers_pk', ['run_id', 'ticker'])
    .execute();

  await db.schema
    .createTable('rejected_rows')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('source_date', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('first_run_id', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Rejecting the same row again on a later run does not duplicate it.
    .addUniqueConstraint('rejected_rows_once', ['ticker', 'source_date', 'reason'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['rejected_rows', 'ingestion_run_tickers', 'ingestion_runs', 'daily_bars', 'tickers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
