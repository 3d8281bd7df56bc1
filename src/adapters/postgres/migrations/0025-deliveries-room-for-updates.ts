import { sql, type Kysely } from 'kysely';

/**
 * Issue 17 (the email stage): a delivery row is inserted claimed and updated
 * once when sent. With half of each page left free the update is HOT: the
 * new row version stays on its page and neither index (the key, the
 * Message-ID) is touched, so marking 10,000 sends writes the rows alone.
 * New pages only; existing rows keep their pages.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deliveries set (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deliveries reset (fillfactor)`.execute(db);
}
