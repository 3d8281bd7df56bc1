import { sql, type Kysely } from 'kysely';

/**
 * subscription_changes: a subscription asked for through the public API,
 * waiting for the confirmation link sent to that address. Nothing reaches
 * `subscriptions` before the link is followed (the address's owner agreed);
 * then the change is applied once (`applied_at`) and the subscriber confirmed.
 * `requested_on` bounds how many confirmation emails one address gets a day.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscription_changes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('subscriber_id', 'bigint', (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
    .addColumn('subscriptions', 'jsonb', (c) => c.notNull())
    .addColumn('requested_on', 'date', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('applied_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('subscription_changes_subscriber_idx')
    .on('subscription_changes')
    .columns(['subscriber_id', 'requested_on'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscription_changes').ifExists().execute();
}
