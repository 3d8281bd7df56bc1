import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per (date, ticker, strategy): every signal can be explained later.
  await db.schema
    .createTable('signals')
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('strategy_version', 'integer', (c) => c.notNull())
    .addColumn('signal', 'text', (c) => c.notNull())
    .addColumn('close', 'double precision', (c) => c.notNull())
    .addColumn('inputs', 'jsonb', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('signals_pk', ['date', 'ticker', 'strategy'])
    .execute();
  await db.schema.createIndex('signals_by_ticker').on('signals').columns(['ticker', 'strategy', 'date']).execute();

  await db.schema
    .createTable('subscribers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('unsubscribed_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('subscriber_id', 'bigint', (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('subscriptions_pk', ['subscriber_id', 'ticker', 'strategy'])
    .execute();
  await db.schema.createIndex('subscriptions_by_ticker').on('subscriptions').columns(['ticker', 'strategy']).execute();

  // Exactly once per (kind, run date, subscriber): the row is claimed before
  // sending and the Message-ID derives from it.
  await db.schema
    .createTable('deliveries')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('run_date', 'date', (c) => c.notNull())
    .addColumn('subscriber_id', 'bigint', (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addPrimaryKeyConstraint('deliveries_pk', ['kind', 'run_date', 'subscriber_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['deliveries', 'subscriptions', 'subscribers', 'signals']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
