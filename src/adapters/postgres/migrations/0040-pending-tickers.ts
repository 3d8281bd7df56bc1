import { sql, type Kysely } from 'kysely';

/**
 * pending_tickers: symbols a subscriber asked for that nothing tracked yet
 * (issue 18 point 1). The daily run leaves them out until a market-data
 * provider returns bars for one (it is tracked from then on) or says it has
 * none (its subscriptions are dropped and the subscribers told), so that no
 * stranger's word makes every run fetch a symbol.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pending_tickers')
    .addColumn('ticker', 'text', (c) => c.primaryKey())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('pending_tickers').ifExists().execute();
}
