import type { Kysely } from 'kysely';

/**
 * Issue 19: a backtest of an unsaved rule (the rule builder's "Backtest this
 * rule") keeps the rule as written, so its chart and shareable link redraw it
 * after the page that sent it is gone. Null for a registered strategy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('backtests').addColumn('rule', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('backtests').dropColumn('rule').execute();
}
