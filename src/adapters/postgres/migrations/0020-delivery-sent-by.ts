import type { Kysely } from 'kysely';

/**
 * Issue 17: deliveries.sent_by, the fan-out run that marked a delivery sent
 * (`<workflow id>/<run id>`; null for sends outside a fan-out, such as
 * confirmations). A retry of a send-out after its worker was killed finds
 * its own earlier attempt's sends by it and reports them as sent by this
 * run, not as sent before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('sent_by', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('sent_by').execute();
}
