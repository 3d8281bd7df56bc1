import type { Kysely } from 'kysely';

/**
 * subscription_changes.mailbox: the mailbox a subscribe request's address
 * delivers to (plus tags and Gmail's dots folded, see `mailboxOf`), so that
 * the daily cap of confirmation emails counts `v+1@`, `v+2@` and `v.ictim@`
 * together (issue 18 point 3). Older rows have none and count by address.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscription_changes').addColumn('mailbox', 'text').execute();
  await db.schema
    .createIndex('subscription_changes_mailbox_requested_on')
    .on('subscription_changes')
    .columns(['mailbox', 'requested_on'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('subscription_changes_mailbox_requested_on').ifExists().execute();
  await db.schema.alterTable('subscription_changes').dropColumn('mailbox').execute();
}
