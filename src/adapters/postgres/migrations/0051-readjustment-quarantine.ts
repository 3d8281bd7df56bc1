import { sql, type Kysely } from 'kysely';

/**
 * Issue 18 (one bad answer does not rewrite history): price_readjustments
 * keeps what each re-adjustment replaced and whether it was applied.
 * - status: applied | quarantined | approved | undone (see ReadjustmentStatus).
 * - quarantine_reason: why an implausible split or history rewrite was not applied.
 * - cause, selection: what `algo readjust approve` needs to apply it later.
 * - replaced: the ticker's bars as they were before an applied rewrite
 *   (every column), for `algo readjust undo`; last_date: its last bar after it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('price_readjustments')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('applied'))
    .addColumn('quarantine_reason', 'text')
    .addColumn('cause', 'jsonb')
    .addColumn('selection', 'jsonb')
    .addColumn('replaced', 'jsonb')
    .addColumn('last_date', 'date')
    .execute();
  await sql`create index price_readjustments_quarantined_idx on price_readjustments (id) where status = 'quarantined'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists price_readjustments_quarantined_idx`.execute(db);
  await db.schema
    .alterTable('price_readjustments')
    .dropColumn('status')
    .dropColumn('quarantine_reason')
    .dropColumn('cause')
    .dropColumn('selection')
    .dropColumn('replaced')
    .dropColumn('last_date')
    .execute();
}
