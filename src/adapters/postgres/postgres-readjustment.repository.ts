import { sql, type Kysely, type Selectable } from 'kysely';
import type { EnrichedBar } from '../../domain/bar';
import type { HistoryRewrite, PriceReadjustmentRepository } from '../../domain/ports';
import type { PriceReadjustment } from '../../domain/readjustment';
import { copyBarsToStaging } from './copy-bars';
import { poolOf, withRawConnection, type Database, type PriceReadjustmentTable } from './database';
import { toEnrichedBar, upsertCorporateActions, writeStagedBars } from './postgres-price.repository';

function toReadjustment(row: Selectable<PriceReadjustmentTable>): PriceReadjustment {
  return {
    ticker: row.ticker,
    date: row.date,
    factor: row.factor,
    rowsChanged: row.rows_changed,
    reason: row.reason,
    detail: row.detail,
    workflowId: row.workflow_id,
    ingestionRunId: row.ingestion_run_id,
  };
}

/** Postgres rewrites of stored histories, recorded in price_readjustments. */
export class PostgresReadjustmentRepository implements PriceReadjustmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async readjustmentOf(workflowId: string): Promise<PriceReadjustment | null> {
    const row = await this.db
      .selectFrom('price_readjustments')
      .selectAll()
      .where('workflow_id', '=', workflowId)
      .executeTakeFirst();
    return row ? toReadjustment(row) : null;
  }

  async readjustments(filter: { ticker?: string } = {}): Promise<PriceReadjustment[]> {
    let query = this.db.selectFrom('price_readjustments').selectAll();
    if (filter.ticker) query = query.where('ticker', '=', filter.ticker);
    const rows = await query.orderBy('id').execute();
    return rows.map(toReadjustment);
  }

  async rewriteHistory(
    input: HistoryRewrite,
    rewrite: (stored: EnrichedBar[]) => EnrichedBar[],
  ): Promise<{ readjustment: PriceReadjustment; alreadyRecorded: boolean }> {
    const pool = poolOf(this.db);
    if (!pool)
      throw new Error(
        'PostgresReadjustmentRepository needs a database made by createDatabase (COPY needs its pg pool)',
      );
    return withRawConnection(pool, async (client, db) => {
      await client.query('begin');
      try {
        const result = await rewriteInTransaction(client, db, input, rewrite);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    });
  }
}

/** The body of {@link PostgresReadjustmentRepository.rewriteHistory}, inside its transaction. */
async function rewriteInTransaction(
  client: Parameters<typeof copyBarsToStaging>[0],
  db: Kysely<Database>,
  input: HistoryRewrite,
  rewrite: (stored: EnrichedBar[]) => EnrichedBar[],
): Promise<{ readjustment: PriceReadjustment; alreadyRecorded: boolean }> {
  // The ingestion's writer locks the same row: no bar of this ticker changes until commit.
  await sql`select symbol from tickers where symbol = ${input.ticker} for update`.execute(db);
  const recorded = await db
    .selectFrom('price_readjustments')
    .selectAll()
    .where('workflow_id', '=', input.workflowId)
    .executeTakeFirst();
  if (recorded) return { readjustment: toReadjustment(recorded), alreadyRecorded: true };

  const stored = (
    await db.selectFrom('daily_bars').selectAll().where('ticker', '=', input.ticker).orderBy('date').execute()
  ).map(toEnrichedBar);
  const bars = rewrite(stored);
  let rowsChanged = 0;
  if (bars.length > 0) {
    await copyBarsToStaging(client, [{ ticker: input.ticker, bars }]);
    const counts = (await writeStagedBars(db, [], [input.ticker])).get(input.ticker);
    rowsChanged = (counts?.inserted ?? 0) + (counts?.updated ?? 0);
  }
  if (input.actions && input.actions.length > 0) {
    await upsertCorporateActions(
      db,
      input.actions.map((action) => ({ ticker: input.ticker, runId: input.ingestionRunId, action })),
    );
  }
  await sql`
    update tickers set
      first_date = (select min(date) from daily_bars where ticker = symbol),
      last_date = (select max(date) from daily_bars where ticker = symbol),
      updated_at = now()
    where symbol = ${input.ticker}`.execute(db);
  const row = await db
    .insertInto('price_readjustments')
    .values({
      ticker: input.ticker,
      date: input.date,
      factor: input.factor,
      rows_changed: rowsChanged,
      reason: input.reason,
      detail: input.detail,
      workflow_id: input.workflowId,
      ingestion_run_id: input.ingestionRunId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { readjustment: toReadjustment(row), alreadyRecorded: false };
}
