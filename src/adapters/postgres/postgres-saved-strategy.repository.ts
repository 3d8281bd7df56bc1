import { sql, type Kysely } from 'kysely';
import type { SavedRuleStrategy, SavedStrategyRepository } from '../../domain/ports';
import type { Database } from './database';

/** Saved rule strategies in table saved_rule_strategies (the rule as jsonb). */
export class PostgresSavedStrategyRepository implements SavedStrategyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async versions(): Promise<{ name: string; version: number }[]> {
    return this.db.selectFrom('saved_rule_strategies').select(['name', 'version']).orderBy('name').execute();
  }

  async get(names: readonly string[]): Promise<SavedRuleStrategy[]> {
    if (names.length === 0) return [];
    return this.db
      .selectFrom('saved_rule_strategies')
      .select(['name', 'version', 'rule'])
      .where('name', 'in', [...names])
      .orderBy('name')
      .execute();
  }

  async save(strategy: SavedRuleStrategy): Promise<{ created: boolean }> {
    const row = await this.db
      .insertInto('saved_rule_strategies')
      .values({ name: strategy.name, version: strategy.version, rule: JSON.stringify(strategy.rule) })
      .onConflict((c) =>
        c.column('name').doUpdateSet({
          version: strategy.version,
          rule: JSON.stringify(strategy.rule),
          updated_at: sql`now()`,
        }),
      )
      // xmax = 0 only on a row this statement inserted.
      .returning(sql<boolean>`xmax = 0`.as('created'))
      .executeTakeFirstOrThrow();
    return { created: row.created };
  }
}
