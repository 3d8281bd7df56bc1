import { sql, type Kysely } from 'kysely';
import type {
  PublicBacktestDeletion,
  PublicBacktestDeletionReason,
  PublicBacktestRepository,
} from '../../domain/ports';
import type { Database } from './database';

/** {@link PublicBacktestRepository} over table public_backtests; a deletion also deletes the `backtests` row (its trades cascade). */
export class PostgresPublicBacktestRepository implements PublicBacktestRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(id: string, at: Date): Promise<void> {
    await this.db
      .insertInto('public_backtests')
      .values({ id, created_at: at })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async countKept(): Promise<number> {
    const row = await this.db
      .selectFrom('public_backtests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async oldestKept(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('public_backtests')
      .select('id')
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async due(before: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('public_backtests as p')
      .select('p.id')
      .where((eb) =>
        eb.or([
          eb.and([eb('p.deleted_at', 'is', null), eb('p.created_at', '<', before)]),
          eb.and([
            eb('p.deleted_at', 'is not', null),
            eb.exists(
              eb
                .selectFrom('backtests as b')
                .select(sql`1`.as('one'))
                .whereRef('b.id', '=', 'p.id'),
            ),
          ]),
        ]),
      )
      .orderBy('p.created_at')
      .orderBy('p.id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async markDeleted(ids: readonly string[], reason: PublicBacktestDeletionReason, at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      // Only public ones: an admin backtest's id is never in public_backtests, so never deleted here.
      await trx
        .deleteFrom('backtests')
        .where(
          'id',
          'in',
          trx
            .selectFrom('public_backtests')
            .select('id')
            .where('id', 'in', [...ids]),
        )
        .execute();
      await trx
        .updateTable('public_backtests')
        .set({
          deleted_at: sql<Date>`coalesce(deleted_at, ${at})`,
          deleted_reason: sql<PublicBacktestDeletionReason>`coalesce(deleted_reason, ${reason})`,
        })
        .where('id', 'in', [...ids])
        .execute();
    });
  }

  async deletion(id: string): Promise<PublicBacktestDeletion | null> {
    const row = await this.db
      .selectFrom('public_backtests')
      .select(['created_at', 'deleted_at', 'deleted_reason'])
      .where('id', '=', id)
      .where('deleted_at', 'is not', null)
      .executeTakeFirst();
    if (!row?.deleted_at) return null;
    return { reason: row.deleted_reason ?? 'expired', createdAt: row.created_at, deletedAt: row.deleted_at };
  }

  async forgetDeletions(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('public_backtests')
      .where('deleted_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('backtests')
              .select(sql`1`.as('one'))
              .whereRef('backtests.id', '=', 'public_backtests.id'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
