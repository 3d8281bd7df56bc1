import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per sweep; its id is the workflow id.
  await db.schema
    .createTable('sweeps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('grid', 'text', (c) => c.notNull())
    .addColumn('combos', 'integer', (c) => c.notNull())
    // The valid parameter sets in grid order: a result's `combo` indexes it.
    .addColumn('parameter_sets', 'jsonb', (c) => c.notNull())
    .addColumn('tickers', 'integer', (c) => c.notNull())
    .addColumn('from_date', 'date')
    .addColumn('to_date', 'date')
    .addColumn('initial_capital', 'double precision', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  // One row per (sweep, ticker, parameter set): `combo` is the set's index in
  // sweeps.parameter_sets (no JSON per row: 50,000 rows a sweep), so a
  // retried batch rewrites the same keys.
  await db.schema
    .createTable('sweep_results')
    .addColumn('sweep_id', 'text', (c) => c.notNull().references('sweeps.id').onDelete('cascade'))
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('combo', 'integer', (c) => c.notNull())
    .addColumn('return_pct', 'double precision', (c) => c.notNull())
    .addColumn('num_trades', 'integer', (c) => c.notNull())
    .addColumn('sharpe', 'double precision')
    .addColumn('max_drawdown_pct', 'double precision', (c) => c.notNull())
    .addColumn('final_capital', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('sweep_results_pk', ['sweep_id', 'ticker', 'combo'])
    .execute();

  // History of recommendations: a row per (run, ticker); `current` marks the
  // newest per ticker. `strategy` null = nothing recommended (see `reason`).
  await db.schema
    .createTable('recommendations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text')
    .addColumn('params', 'jsonb')
    .addColumn('reason', 'text')
    .addColumn('evidence', 'jsonb', (c) => c.notNull())
    .addColumn('as_of', 'date', (c) => c.notNull())
    .addColumn('current', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('previous_strategy', 'text')
    .addColumn('previous_params', 'jsonb')
    .addColumn('changed', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('recommendations_run_ticker', ['run_id', 'ticker'])
    .execute();
  await sql`create unique index recommendations_current on recommendations (ticker) where current`.execute(db);
  await db.schema
    .createIndex('recommendations_changes')
    .on('recommendations')
    .columns(['ticker', 'created_at'])
    .where(sql.ref('changed'), '=', true)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['recommendations', 'sweep_results', 'sweeps']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
