import { sql, type Kysely } from 'kysely';

/**
 * Issue 8.1: a delivery is keyed by what it carries, not by the date alone.
 * - deliveries.seq: the n-th email of one (kind, date, subscriber). A partial
 *   run of a date sends digest 1; the full run sends digest 2 with the
 *   signals digest 1 did not carry (and so on for every later run).
 * - delivered_signals: each (subscriber, signal) in exactly one delivery, the
 *   one that carried it (primary key = at most once per subscriber, whatever
 *   the kind or number of runs).
 * Existing deliveries are backfilled with the signals their fan-out selected
 * (the daily digest of a run date, a manual send of one ticker and date), so
 * an upgrade does not resend what was already delivered.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('deliveries')
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('deliveries').dropConstraint('deliveries_pk').execute();
  await db.schema
    .alterTable('deliveries')
    .addPrimaryKeyConstraint('deliveries_pk', ['kind', 'run_date', 'subscriber_id', 'seq'])
    .execute();

  await db.schema
    .createTable('delivered_signals')
    .addColumn('subscriber_id', 'bigint', (c) => c.notNull())
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('ticker', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('run_date', 'date', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('delivered_signals_pk', ['subscriber_id', 'date', 'ticker', 'strategy'])
    .addForeignKeyConstraint(
      'delivered_signals_delivery_fk',
      ['kind', 'run_date', 'subscriber_id', 'seq'],
      'deliveries',
      ['kind', 'run_date', 'subscriber_id', 'seq'],
      (c) => c.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('delivered_signals_delivery_idx')
    .on('delivered_signals')
    .columns(['kind', 'run_date', 'subscriber_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('delivered_signals_signal_idx')
    .on('delivered_signals')
    .columns(['date', 'ticker', 'strategy'])
    .execute();

  // The signals each existing digest or manual send selected, by the same rule the fan-out uses.
  await sql`
    insert into delivered_signals (subscriber_id, date, ticker, strategy, kind, run_date, seq)
    select distinct on (d.subscriber_id, g.date, g.ticker, g.strategy) d.subscriber_id, g.date, g.ticker, g.strategy, d.kind, d.run_date, d.seq
    from deliveries d
    join subscriptions sub on sub.subscriber_id = d.subscriber_id
    left join recommendations r on sub.strategy = 'recommended' and r.ticker = sub.ticker and r.current
    join signals g on g.ticker = sub.ticker
      and g.strategy = case when sub.strategy = 'recommended' then 'recommended:' || r.strategy else sub.strategy end
    where g.signal in ('BUY', 'SELL')
      and ((d.kind = 'daily' and g.run_date = d.run_date) or (d.kind = 'notification:' || g.ticker and g.date = d.run_date))
    order by d.subscriber_id, g.date, g.ticker, g.strategy, d.claimed_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('delivered_signals').ifExists().execute();
  await sql`delete from deliveries where seq > 1`.execute(db);
  await db.schema.alterTable('deliveries').dropConstraint('deliveries_pk').execute();
  await db.schema
    .alterTable('deliveries')
    .addPrimaryKeyConstraint('deliveries_pk', ['kind', 'run_date', 'subscriber_id'])
    .execute();
  await db.schema.alterTable('deliveries').dropColumn('seq').execute();
}
