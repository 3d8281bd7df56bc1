import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per ad-hoc backtest, keyed by its workflow id. Metrics and the
  // equity curve are JSONB: read whole, never filtered on piecemeal.
  await db.schema
    .createTable('backtests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('strategy_version', 'integer', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('options', 'jsonb', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('end_date', 'date', (c) => c.notNull())
    .addColumn('initial_capital', 'double precision', (c) => c.notNull())
    .addColumn('final_capital', 'double precision', (c) => c.notNull())
    .addColumn('return_pct', 'double precision', (c) => c.notNull())
    .addColumn('num_trades', 'integer', (c) => c.notNull())
    .addColumn('fees', 'double precision', (c) => c.notNull())
    .addColumn('initial_position', 'jsonb')
    .addColumn('metrics', 'jsonb', (c) => c.notNull())
    .addColumn('equity_curve', 'jsonb', (c) => c.notNull())
    .addColumn('report_key', 'text', (c) => c.notNull())
    .addColumn('chart_key', 'text', (c) => c.notNull())
    .addColumn('report_url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('backtests_by_ticker')
    .on('backtests')
    .columns(['ticker', 'strategy', 'created_at'])
    .execute();

  // Trades are rows: "every SELL of AAPL backtests in 2008" is a plain query.
  await db.schema
    .createTable('backtest_trades')
    .addColumn('backtest_id', 'text', (c) => c.notNull().references('backtests.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('price', 'double precision', (c) => c.notNull())
    .addColumn('shares', 'double precision', (c) => c.notNull())
    .addColumn('fee', 'double precision', (c) => c.notNull())
    .addColumn('signal_date', 'date', (c) => c.notNull())
    .addPrimaryKeyConstraint('backtest_trades_pk', ['backtest_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('backtest_trades').ifExists().execute();
  await db.schema.dropTable('backtests').ifExists().execute();
}
