import { sql, type Kysely, type Selectable } from 'kysely';
import type { EnrichedBar } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import { BadInputError, NotFoundError } from '../../domain/errors';
import type { HistoryRewrite, HistoryRewritePlan, PriceReadjustmentRepository } from '../../domain/ports';
import type { PriceReadjustment, ReadjustmentCause } from '../../domain/readjustment';
import { copyBarsToStaging, copyBarsToTable } from './copy-bars';
import { poolOf, withRawConnection, type Database, type PriceReadjustmentTable } from './database';
import { toEnrichedBar, upsertCorporateActions, writeStagedBars } from './postgres-price.repository';

function toReadjustment(row: Selectable<PriceReadjustmentTable>): PriceReadjustment {
  return {
    id: Number(row.id),
    status: row.status,
    ...(row.quarantine_reason !== null ? { quarantineReason: row.quarantine_reason } : {}),
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

  async readjustmentById(
    id: number,
  ): Promise<(PriceReadjustment & { cause: ReadjustmentCause | null; selection: unknown }) | null> {
    const row = await this.db.selectFrom('price_readjustments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...toReadjustment(row), cause: row.cause, selection: row.selection } : null;
  }

  async readjustments(
    filter: { ticker?: string; status?: PriceReadjustment['status'] } = {},
  ): Promise<PriceReadjustment[]> {
    let query = this.db.selectFrom('price_readjustments').selectAll();
    if (filter.ticker) query = query.where('ticker', '=', filter.ticker);
    if (filter.status) query = query.where('status', '=', filter.status);
    const rows = await query.orderBy('id').execute();
    return rows.map(toReadjustment);
  }

  async rewriteHistory(
    input: HistoryRewrite,
    plan: (stored: EnrichedBar[]) => HistoryRewritePlan,
  ): Promise<{ readjustment: PriceReadjustment; alreadyRecorded: boolean }> {
    return this.inTransaction((client, db) => rewriteInTransaction(client, db, input, plan));
  }

  async undoReadjustment(id: number): Promise<PriceReadjustment> {
    return this.inTransaction((client, db) => undoInTransaction(client, db, id));
  }

  private inTransaction<T>(
    body: (client: Parameters<typeof copyBarsToStaging>[0], db: Kysely<Database>) => Promise<T>,
  ): Promise<T> {
    const pool = poolOf(this.db);
    if (!pool)
      throw new Error(
        'PostgresReadjustmentRepository needs a database made by createDatabase (COPY needs its pg pool)',
      );
    return withRawConnection(pool, async (client, db) => {
      await client.query('begin');
      try {
        const result = await body(client, db);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    });
  }
}

/** The ticker's stored bars, ascending. */
async function storedBars(db: Kysely<Database>, ticker: string): Promise<EnrichedBar[]> {
  return (await db.selectFrom('daily_bars').selectAll().where('ticker', '=', ticker).orderBy('date').execute()).map(
    toEnrichedBar,
  );
}

/** The ticker's first and last stored dates, again from its bars. */
async function updateSpan(db: Kysely<Database>, ticker: string): Promise<IsoDate | null> {
  const span = await sql<{ last_date: IsoDate | null }>`
    update tickers set
      first_date = (select min(date) from daily_bars where ticker = symbol),
      last_date = (select max(date) from daily_bars where ticker = symbol),
      updated_at = now()
    where symbol = ${ticker}
    returning last_date`.execute(db);
  return span.rows[0]?.last_date ?? null;
}

/** The body of {@link PostgresReadjustmentRepository.rewriteHistory}, inside its transaction. */
async function rewriteInTransaction(
  client: Parameters<typeof copyBarsToStaging>[0],
  db: Kysely<Database>,
  input: HistoryRewrite,
  plan: (stored: EnrichedBar[]) => HistoryRewritePlan,
): Promise<{ readjustment: PriceReadjustment; alreadyRecorded: boolean }> {
  // The ingestion's writer locks the same row: no bar of this ticker changes until commit.
  await sql`select symbol from tickers where symbol = ${input.ticker} for update`.execute(db);
  const recorded = await db
    .selectFrom('price_readjustments')
    .selectAll()
    .where('workflow_id', '=', input.workflowId)
    .executeTakeFirst();
  if (recorded) return { readjustment: toReadjustment(recorded), alreadyRecorded: true };

  const stored = await storedBars(db, input.ticker);
  const decided = plan(stored);
  const record = {
    ticker: input.ticker,
    date: input.date,
    factor: input.factor,
    reason: input.reason,
    detail: input.detail,
    workflow_id: input.workflowId,
    ingestion_run_id: input.ingestionRunId,
    cause: JSON.stringify(input.cause),
    selection: JSON.stringify(input.selection ?? null),
  };
  if ('quarantine' in decided) {
    const row = await db
      .insertInto('price_readjustments')
      .values({ ...record, rows_changed: 0, status: 'quarantined', quarantine_reason: decided.quarantine })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { readjustment: toReadjustment(row), alreadyRecorded: false };
  }

  const { bars } = decided;
  let rowsChanged = 0;
  // Stored days the rewrite leaves out go: they are on the old basis (and kept in `replaced`).
  const kept = new Set(bars.map((b) => b.date));
  const dropped = stored.filter((b) => !kept.has(b.date)).map((b) => b.date);
  if (dropped.length > 0) {
    await db.deleteFrom('daily_bars').where('ticker', '=', input.ticker).where('date', 'in', dropped).execute();
    rowsChanged += dropped.length;
  }
  if (bars.length > 0) {
    await copyBarsToStaging(client, [{ ticker: input.ticker, bars }]);
    const counts = (await writeStagedBars(db, [], [input.ticker])).get(input.ticker);
    rowsChanged += (counts?.inserted ?? 0) + (counts?.updated ?? 0);
  }
  if (input.actions && input.actions.length > 0) {
    await upsertCorporateActions(
      db,
      input.actions.map((action) => ({ ticker: input.ticker, runId: input.ingestionRunId, action })),
    );
  }
  const lastDate = await updateSpan(db, input.ticker);
  const row = await db
    .insertInto('price_readjustments')
    .values({
      ...record,
      rows_changed: rowsChanged,
      status: 'applied',
      replaced: JSON.stringify(stored),
      last_date: lastDate,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.approves !== undefined) {
    await db
      .updateTable('price_readjustments')
      .set({
        status: 'approved',
        detail: sql`concat_ws('; ', detail, ${`approved: applied by re-adjustment ${row.id}`}::text)`,
      })
      .where('id', '=', input.approves)
      .where('status', '=', 'quarantined')
      .execute();
  }
  return { readjustment: toReadjustment(row), alreadyRecorded: false };
}

/** The body of {@link PostgresReadjustmentRepository.undoReadjustment}, inside its transaction. */
async function undoInTransaction(
  client: Parameters<typeof copyBarsToStaging>[0],
  db: Kysely<Database>,
  id: number,
): Promise<PriceReadjustment> {
  const target = await db.selectFrom('price_readjustments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!target) throw new NotFoundError(`no re-adjustment ${id}`);
  await sql`select symbol from tickers where symbol = ${target.ticker} for update`.execute(db);
  if (target.status !== 'applied' || target.replaced === null)
    throw new BadInputError(`re-adjustment ${id} is ${target.status}: only an applied one can be undone`);
  const later = await db
    .selectFrom('price_readjustments')
    .select('id')
    .where('ticker', '=', target.ticker)
    .where('status', '=', 'applied')
    .where('id', '>', id)
    .executeTakeFirst();
  if (later) throw new BadInputError(`re-adjustment ${later.id} of ${target.ticker} came after ${id}: undo it first`);
  const last = await db
    .selectFrom('daily_bars')
    .select(sql<IsoDate | null>`max(date)`.as('last'))
    .where('ticker', '=', target.ticker)
    .executeTakeFirst();
  if (last?.last && target.last_date && last.last > target.last_date)
    throw new BadInputError(
      `${target.ticker} has bars after re-adjustment ${id} (through ${last.last}, it left ${target.last_date}): undoing it would mix adjustment bases`,
    );
  await db.deleteFrom('daily_bars').where('ticker', '=', target.ticker).execute();
  const replaced = target.replaced as EnrichedBar[];
  if (replaced.length > 0) await copyBarsToTable(client, [{ ticker: target.ticker, bars: replaced }]);
  await updateSpan(db, target.ticker);
  const row = await db
    .updateTable('price_readjustments')
    .set({ status: 'undone' })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toReadjustment(row);
}
