import { sql, type Kysely } from 'kysely';
import type { EnrichedBar } from '../../domain/bar';
import { splitsOf, type CorporateAction, type SplitEvent } from '../../domain/corporate-actions';
import type { ReadjustmentCause } from '../../domain/readjustment';
import type { IsoDate } from '../../domain/dates';
import type { ProviderAttempt } from '../../domain/market-data';
import {
  failedTickerIngestion,
  type BarWindow,
  type CorporateActionRepository,
  type IngestionRunRepository,
  type IngestionToSave,
  type PriceRepository,
  type TickerIngestionResult,
} from '../../domain/ports';
import type pg from 'pg';
import { poolOf, withRawConnection, type Database, type DailyBarRow } from './database';
import { copyBarsToStaging, copyBarsToTable, hasWholeVolumes, STAGING_TABLE } from './copy-bars';
import { readPackedBars, readPackedRecentBars } from './packed-bars';
import { STORED_BAR_COLUMNS } from './bar-queries';

/** A table this small plans well on any statistics; below it a backfill never pays for an ANALYZE. */
export const ANALYZE_MIN_ROWS = 10_000;

/**
 * ANALYZE daily_bars when its planner statistics no longer describe it: never
 * analyzed and past {@link ANALYZE_MIN_ROWS}, or as many rows written since the
 * last ANALYZE as it had then. Without statistics the planner took a 25-ticker
 * read for an eighth of the table and scanned all of it: every batch of a
 * daily run then cost the whole universe. Called when an ingestion run
 * finishes (a backfill's own statements are key lookups that need no
 * statistics). autovacuum would do this, but it may be off (it is on the
 * bench machine), and its thresholds lag a bulk load. One session at a time
 * (an advisory lock): concurrent ANALYZEs of one table only repeat the work.
 * `written`: rows the caller has just written (the statistics views count
 * them a moment later). Returns true when it analyzed.
 */
export async function refreshBarStatistics(db: Kysely<Database>, written = 0): Promise<boolean> {
  const { rows } = await sql<{ tuples: number; modified: number }>`
    select c.reltuples::float8 as tuples, coalesce(s.n_mod_since_analyze, 0)::float8 as modified
    from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
    where c.oid = 'daily_bars'::regclass`.execute(db);
  const tuples = rows[0]?.tuples ?? 0;
  const modified = Math.max(rows[0]?.modified ?? 0, written);
  const stale = tuples < 0 ? modified >= ANALYZE_MIN_ROWS : modified >= Math.max(tuples, ANALYZE_MIN_ROWS);
  if (!stale) return false;
  return db.connection().execute(async (conn) => {
    const lock = sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext('analyze daily_bars')) as locked`;
    const { rows: locked } = await lock.execute(conn);
    if (!locked[0]?.locked) return false;
    try {
      await sql`analyze daily_bars`.execute(conn);
      return true;
    } finally {
      await sql`select pg_advisory_unlock(hashtext('analyze daily_bars'))`.execute(conn);
    }
  });
}

/** Postgres text and jsonb cannot hold NUL: a garbage source file must still be recordable. */
export function pgSafeText(text: string): string {
  return text.replace(/\u0000/g, '\uFFFD');
}

/** JSON for a jsonb column: jsonb refuses the \u0000 escape that JSON.stringify writes for NUL. */
export function pgSafeJson(value: unknown): string {
  return pgSafeText(JSON.stringify(value)).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

/** How many rejected rows a run's report keeps per ticker (all are stored in rejected_rows). */
export const REPORTED_REJECTIONS_LIMIT = 100;

const BAR_COLUMNS = STORED_BAR_COLUMNS;

/** Map a row to the domain's camelCase bar (snake_case stays in the adapter). */
export function toEnrichedBar(row: Omit<DailyBarRow, 'ticker'>): EnrichedBar {
  const bar: EnrichedBar = {
    date: row.date,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    adjClose: row.adj_close,
    volume: row.volume,
    sma7: row.sma7,
    sma21: row.sma21,
    sma50: row.sma50,
    sma100: row.sma100,
    sma200: row.sma200,
    ema12: row.ema12,
    ema26: row.ema26,
    macd: row.macd,
    macdSignal: row.macd_signal,
  };
  // Only a bar adjusted for a later split carries its raw close (as the domain's Bar says).
  if (row.split_factor !== 1) {
    bar.rawClose = row.raw_close ?? row.close * row.split_factor;
    bar.splitFactor = row.split_factor;
  }
  return bar;
}

/**
 * Write the staged bars of a batch (see copy-bars.ts) in at most two
 * statements. Tickers with stored bars are upserted: rows whose values are
 * all unchanged are not touched, so re-running an ingestion writes nothing.
 * Tickers without any (a first backfill: their `tickers` row is locked, so
 * no bar of theirs can appear meanwhile) are
 * inserted plainly, twice as fast as an upsert. Counts come back per ticker.
 */
export async function writeStagedBars(
  db: Kysely<Database>,
  fresh: readonly string[],
  stored: readonly string[],
): Promise<Map<string, { inserted: number; updated: number }>> {
  const counts = new Map<string, { inserted: number; updated: number }>();
  const cols = sql.raw(BAR_COLUMNS.join(', '));
  const staged = sql.raw(BAR_COLUMNS.map((c) => (c === 'volume' ? 'volume::bigint' : c)).join(', '));
  if (fresh.length > 0) {
    const inserted = await sql<{ ticker: string; n: number }>`
      with written as (
        insert into daily_bars (ticker, date, ${cols})
        select ticker, date, ${staged} from ${sql.table(STAGING_TABLE)} where ticker = any(${fresh}::text[])
        returning ticker)
      select ticker, count(*)::int as n from written group by ticker`.execute(db);
    for (const r of inserted.rows) counts.set(r.ticker, { inserted: r.n, updated: 0 });
  }
  if (stored.length === 0) return counts;
  const setList = sql.raw(BAR_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', '));
  const changed = sql.raw(
    `(${BAR_COLUMNS.map((c) => `daily_bars.${c}`).join(', ')}) is distinct from (${BAR_COLUMNS.map((c) => `excluded.${c}`).join(', ')})`,
  );
  const result = await sql<{ ticker: string; inserted: number; updated: number }>`
    with written as (
      insert into daily_bars (ticker, date, ${cols})
      select ticker, date, ${staged} from ${sql.table(STAGING_TABLE)} where ticker = any(${stored}::text[])
      on conflict (ticker, date) do update set ${setList} where ${changed}
      returning ticker, (xmax = 0) as inserted)
    select ticker, (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated
    from written group by ticker`.execute(db);
  for (const r of result.rows) counts.set(r.ticker, { inserted: r.inserted, updated: r.updated });
  return counts;
}

/** Store the rejected rows of a batch in one statement; a row rejected before for the same reason is not stored twice. */
async function storeRejections(db: Kysely<Database>, batch: readonly IngestionToSave[]): Promise<void> {
  const rows = batch.flatMap((b) => b.rejected.map((r) => ({ ticker: b.ticker, runId: b.runId, r })));
  if (rows.length === 0) return;
  await sql`
    insert into rejected_rows (ticker, source_date, reason, raw, first_run_id)
    select t, d, r, x::jsonb, run
    from unnest(${rows.map((x) => x.ticker)}::text[], ${rows.map((x) => pgSafeText(x.r.date))}::text[],
                ${rows.map((x) => pgSafeText(x.r.reason))}::text[], ${rows.map((x) => pgSafeJson(x.r.raw))}::text[],
                ${rows.map((x) => x.runId)}::text[]) as u(t, d, r, x, run)
    on conflict (ticker, source_date, reason) do nothing`.execute(db);
}

/** Upsert corporate actions by (ticker, date), in one statement for a whole batch. */
export async function upsertCorporateActions(
  db: Kysely<Database>,
  rows: ReadonlyArray<{ ticker: string; runId: string | null; action: CorporateAction }>,
): Promise<{ inserted: number; updated: number }> {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const result = await sql<{ inserted: boolean }>`
    insert into corporate_actions (ticker, date, split_factor, dividend, spin_off, first_run_id)
    select * from unnest(${rows.map((r) => r.ticker)}::text[], ${rows.map((r) => r.action.date)}::date[],
                         ${rows.map((r) => r.action.splitFactor)}::float8[], ${rows.map((r) => r.action.dividend)}::float8[],
                         ${rows.map((r) => r.action.spinOff)}::boolean[], ${rows.map((r) => r.runId)}::text[])
    on conflict (ticker, date) do update
      set split_factor = excluded.split_factor, dividend = excluded.dividend, spin_off = excluded.spin_off, updated_at = now()
      where (corporate_actions.split_factor, corporate_actions.dividend, corporate_actions.spin_off)
        is distinct from (excluded.split_factor, excluded.dividend, excluded.spin_off)
    returning (xmax = 0) as inserted`.execute(db);
  const inserted = result.rows.filter((r) => r.inserted).length;
  return { inserted, updated: result.rows.length - inserted };
}

/** Postgres storage of bars, rejections, corporate actions and ingestion runs. */
export class PostgresPriceRepository implements PriceRepository, IngestionRunRepository, CorporateActionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async lastBarDates(tickers: readonly string[]): Promise<Map<string, IsoDate>> {
    if (tickers.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('tickers')
      .select(['symbol', 'last_date'])
      .where('symbol', 'in', [...tickers])
      .where('last_date', 'is not', null)
      .execute();
    return new Map(rows.map((r) => [r.symbol, r.last_date as string]));
  }

  async latestBars(ticker: string, count: number): Promise<EnrichedBar[]> {
    const rows = await this.db
      .selectFrom('daily_bars')
      .selectAll()
      .where('ticker', '=', ticker)
      .orderBy('date', 'desc')
      .limit(count)
      .execute();
    return rows.reverse().map(toEnrichedBar);
  }

  async bars(ticker: string, range: { from?: IsoDate; to?: IsoDate } = {}): Promise<EnrichedBar[]> {
    let query = this.db.selectFrom('daily_bars').selectAll().where('ticker', '=', ticker);
    if (range.from) query = query.where('date', '>=', range.from);
    if (range.to) query = query.where('date', '<=', range.to);
    const rows = await query.orderBy('date').execute();
    return rows.map(toEnrichedBar);
  }

  async barsOfTickers(tickers: readonly string[], range: { to: IsoDate }): Promise<Map<string, EnrichedBar[]>> {
    return readPackedBars(this.db, tickers, range, 'enriched');
  }

  async recentBarsOfTickers(
    windows: readonly BarWindow[],
    range: { to: IsoDate },
  ): Promise<Map<string, EnrichedBar[]>> {
    return readPackedRecentBars(this.db, windows, range);
  }

  async storedTickers(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tickers')
      .select('symbol')
      .where('last_date', 'is not', null)
      .orderBy('symbol')
      .execute();
    return rows.map((r) => r.symbol);
  }

  async saveIngestion(input: IngestionToSave): Promise<TickerIngestionResult> {
    const [result] = await this.saveIngestions([input]);
    return result;
  }

  /**
   * One transaction for a batch of tickers: the bars of a first backfill are
   * COPYed straight into daily_bars, the others into a staging table and
   * upserted in one statement; rejections, corporate actions, spans and run
   * results are written in one statement each.
   */
  async saveIngestions(batch: readonly IngestionToSave[]): Promise<TickerIngestionResult[]> {
    if (batch.length === 0) return [];
    const tickers = batch.map((b) => b.ticker);
    if (new Set(tickers).size !== tickers.length) {
      // One statement cannot upsert a (ticker, date) twice: a ticker given twice is saved in turn.
      const results: TickerIngestionResult[] = [];
      for (const input of batch) results.push(await this.saveIngestion(input));
      return results;
    }
    const pool = poolOf(this.db);
    if (!pool)
      throw new Error('PostgresPriceRepository needs a database made by createDatabase (COPY needs its pg pool)');
    const results = await withRawConnection(pool, async (client, db) => {
      await client.query('begin');
      try {
        const saved = await saveBatch(client, db, batch);
        await client.query('commit');
        return saved;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    });
    return results;
  }

  async corporateActions(ticker: string, range: { from?: IsoDate; to?: IsoDate } = {}): Promise<CorporateAction[]> {
    let query = this.db
      .selectFrom('corporate_actions')
      .select(['date', 'split_factor', 'dividend', 'spin_off'])
      .where('ticker', '=', ticker);
    if (range.from) query = query.where('date', '>=', range.from);
    if (range.to) query = query.where('date', '<=', range.to);
    const rows = await query.orderBy('date').execute();
    return rows.map((r) => ({ date: r.date, splitFactor: r.split_factor, dividend: r.dividend, spinOff: r.spin_off }));
  }

  async saveCorporateActions(
    ticker: string,
    actions: readonly CorporateAction[],
    runId?: string,
  ): Promise<{ inserted: number; updated: number }> {
    return upsertCorporateActions(
      this.db,
      actions.map((action) => ({ ticker, runId: runId ?? null, action })),
    );
  }

  async startRun(input: { runId: string; asOf: IsoDate; provider: string; tickers: readonly string[] }): Promise<void> {
    await this.db
      .insertInto('ingestion_runs')
      .values({
        run_id: input.runId,
        as_of: input.asOf,
        provider: input.provider,
        tickers: [...input.tickers],
        status: 'running',
      })
      .onConflict((oc) => oc.column('run_id').doNothing())
      .execute();
  }

  async recordedResults(runId: string, tickers: readonly string[]): Promise<Map<string, TickerIngestionResult>> {
    if (tickers.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('ingestion_run_tickers')
      .selectAll()
      .where('run_id', '=', runId)
      .where('ticker', 'in', [...tickers])
      .execute();
    return new Map(
      rows.map((r) => [
        r.ticker,
        {
          ticker: r.ticker,
          status: r.status,
          inserted: r.inserted,
          updated: r.updated,
          unchanged: r.unchanged,
          rejected: r.rejected,
          rejectedCount: r.rejected_count,
          lastDate: r.last_date,
          ...(r.error ? { error: r.error } : {}),
          ...(r.new_splits.length > 0 ? { newSplits: r.new_splits } : {}),
          ...(r.flagged.length > 0 ? { flagged: r.flagged } : {}),
          ...(r.readjustment ? { readjustment: r.readjustment } : {}),
          ...providerFields(r.provider ?? undefined, r.failover),
        },
      ]),
    );
  }

  async recordFailure(
    runId: string,
    ticker: string,
    error: string,
    failover?: readonly ProviderAttempt[],
  ): Promise<void> {
    const [last] = (await this.lastBarDates([ticker])).values();
    await this.writeResult(this.db, runId, {
      ...failedTickerIngestion(ticker, error, last ?? null),
      ...providerFields(undefined, failover),
    });
  }

  async finishRun(runId: string, status: 'completed' | 'completed_with_failures'): Promise<void> {
    await this.db
      .updateTable('ingestion_runs')
      .set({ status, finished_at: sql`now()` })
      .where('run_id', '=', runId)
      .execute();
    // Once at the end of a run, not after every batch: a backfill of 5,050 tickers analyzed ten times.
    // The run's own count of written rows: the statistics views count the last batches a moment later.
    const { rows } = await sql<{ written: number }>`
      select coalesce(sum(inserted + updated), 0)::float8 as written from ingestion_run_tickers where run_id = ${runId}`.execute(
      this.db,
    );
    await refreshBarStatistics(this.db, rows[0]?.written ?? 0);
  }

  private async writeResult(db: Kysely<Database>, runId: string, r: TickerIngestionResult): Promise<void> {
    await writeResults(db, runId, [r]);
  }
}

/** The row of a ticker's result in ingestion_run_tickers. */
function resultValues(r: TickerIngestionResult) {
  return {
    status: r.status,
    inserted: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
    rejected_count: r.rejectedCount,
    rejected: pgSafeJson(r.rejected),
    last_date: r.lastDate,
    error: r.error === undefined ? null : pgSafeText(r.error),
    new_splits: JSON.stringify(r.newSplits ?? []),
    flagged: JSON.stringify(r.flagged ?? []),
    provider: r.provider ?? null,
    failover: pgSafeJson(r.failover ?? []),
    readjustment: r.readjustment ? JSON.stringify(r.readjustment) : null,
  };
}

/** Record results of run `runId` (idempotent by (run, ticker)), in one statement. */
async function writeResults(
  db: Kysely<Database>,
  runId: string,
  results: readonly TickerIngestionResult[],
): Promise<void> {
  if (results.length === 0) return;
  await db
    .insertInto('ingestion_run_tickers')
    .values(results.map((r) => ({ run_id: runId, ticker: r.ticker, ...resultValues(r) })))
    .onConflict((oc) =>
      oc.columns(['run_id', 'ticker']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        inserted: eb.ref('excluded.inserted'),
        updated: eb.ref('excluded.updated'),
        unchanged: eb.ref('excluded.unchanged'),
        rejected_count: eb.ref('excluded.rejected_count'),
        rejected: eb.ref('excluded.rejected'),
        last_date: eb.ref('excluded.last_date'),
        error: eb.ref('excluded.error'),
        new_splits: eb.ref('excluded.new_splits'),
        flagged: eb.ref('excluded.flagged'),
        provider: eb.ref('excluded.provider'),
        failover: eb.ref('excluded.failover'),
        readjustment: eb.ref('excluded.readjustment'),
      })),
    )
    .execute();
}

/** The body of {@link PostgresPriceRepository.saveIngestions}, inside its transaction on `client` (= `db`). */
async function saveBatch(
  client: pg.PoolClient,
  db: Kysely<Database>,
  batch: readonly IngestionToSave[],
): Promise<TickerIngestionResult[]> {
  const tickers = batch.map((b) => b.ticker);
  await sql`insert into tickers (symbol) select unnest(${tickers}::text[]) on conflict (symbol) do nothing`.execute(db);
  // Locked until commit: two batches of the same ticker never interleave.
  const previous = await sql<{ symbol: string; last_date: IsoDate | null; has_bars: boolean }>`
    select symbol, last_date, exists (select 1 from daily_bars where ticker = symbol) as has_bars
    from tickers where symbol = any(${tickers}::text[]) order by symbol for update`.execute(db);
  const previousLast = new Map(previous.rows.map((r) => [r.symbol, r.last_date]));
  // Asked of daily_bars itself, not of last_date: only a ticker with no bar at all can take a plain insert.
  const fresh = new Set(previous.rows.filter((r) => !r.has_bars).map((r) => r.symbol));

  // A ticker whose stored history must be rewritten first (a new split, a changed provider history) stores
  // none of its new bars or actions: on the provider's new basis beside the old history they would mix two
  // adjustment bases. The re-adjustment fetches them again and stores them with the rewrite, or, quarantined,
  // when it is approved.
  const causes = new Map(
    batch.map((b) => {
      const before = previousLast.get(b.ticker) ?? null;
      const newSplits = before === null ? [] : splitsOf(b.actions ?? []).filter((split) => split.date > before);
      return [b.ticker, { newSplits, cause: readjustmentCause(before, newSplits, b.historyMismatch) }] as const;
    }),
  );
  const held = (b: IngestionToSave) => causes.get(b.ticker)?.cause !== undefined;
  const withBars = batch.filter((b) => b.bars.length > 0 && !held(b));
  // A first backfill (no stored bar; the ticker's row is locked) goes straight into daily_bars;
  // the rest through the staging table and one upsert.
  const direct = withBars.filter((b) => fresh.has(b.ticker) && hasWholeVolumes(b.bars));
  const staged = withBars.filter((b) => !direct.includes(b));
  const counts = new Map<string, { inserted: number; updated: number }>();
  if (direct.length > 0) {
    await copyBarsToTable(client, direct);
    for (const b of direct) counts.set(b.ticker, { inserted: b.bars.length, updated: 0 });
  }
  if (staged.length > 0) {
    await copyBarsToStaging(client, staged);
    const written = await writeStagedBars(
      db,
      staged.filter((b) => fresh.has(b.ticker)).map((b) => b.ticker),
      staged.filter((b) => !fresh.has(b.ticker)).map((b) => b.ticker),
    );
    for (const [ticker, c] of written) counts.set(ticker, c);
  }
  await storeRejections(db, batch);
  await upsertCorporateActions(
    db,
    batch
      .filter((b) => !held(b))
      .flatMap((b) => (b.actions ?? []).map((action) => ({ ticker: b.ticker, runId: b.runId, action }))),
  );
  const spans = await sql<{ symbol: string; last_date: IsoDate | null }>`
    update tickers set
      first_date = (select min(date) from daily_bars where ticker = symbol),
      last_date = (select max(date) from daily_bars where ticker = symbol),
      updated_at = now()
    where symbol = any(${tickers}::text[])
    returning symbol, last_date`.execute(db);
  const lastDate = new Map(spans.rows.map((r) => [r.symbol, r.last_date]));

  const results = batch.map((b): TickerIngestionResult => {
    const { inserted, updated } = counts.get(b.ticker) ?? { inserted: 0, updated: 0 };
    // Splits after the stored history: the bars stored before them were not divided by them.
    const { newSplits, cause: readjustment } = causes.get(b.ticker)!;
    return {
      ticker: b.ticker,
      status: 'ok',
      inserted,
      updated,
      unchanged: readjustment ? 0 : b.bars.length - inserted - updated,
      rejected: b.rejected.slice(0, REPORTED_REJECTIONS_LIMIT).map((r) => ({ date: r.date, reason: r.reason })),
      rejectedCount: b.rejected.length,
      ...(b.flagged && b.flagged.length > 0 ? { flagged: [...b.flagged] } : {}),
      lastDate: lastDate.get(b.ticker) ?? null,
      ...(newSplits.length > 0 ? { newSplits } : {}),
      ...(readjustment ? { readjustment } : {}),
      ...providerFields(b.provider, b.failover),
    };
  });
  const byRun = new Map<string, TickerIngestionResult[]>();
  batch.forEach((b, i) => byRun.set(b.runId, [...(byRun.get(b.runId) ?? []), results[i]]));
  for (const [runId, runResults] of byRun) await writeResults(db, runId, runResults);
  return results;
}

/**
 * Why a saved ticker's previously stored history (through `before`) must be
 * rewritten: a changed provider history wins (the re-backfill covers any
 * split too), else the new splits (their product, and each for its own check).
 */
function readjustmentCause(
  before: IsoDate | null,
  newSplits: readonly SplitEvent[],
  mismatch: IngestionToSave['historyMismatch'],
): ReadjustmentCause | undefined {
  if (before === null) return undefined;
  if (mismatch) return { reason: 'adjusted_history_changed', ...mismatch };
  if (newSplits.length === 0) return undefined;
  const factor = newSplits.reduce((product, split) => product * split.factor, 1);
  return { reason: 'split', date: newSplits[0].date, factor, storedThrough: before, splits: [...newSplits] };
}

/** The optional provider fields of a result: absent rather than empty. */
function providerFields(
  provider: string | undefined,
  failover: readonly ProviderAttempt[] | undefined,
): Pick<TickerIngestionResult, 'provider' | 'failover'> {
  return {
    ...(provider ? { provider } : {}),
    ...(failover && failover.length > 0
      ? { failover: failover.map((a) => ({ provider: a.provider, error: a.error })) }
      : {}),
  };
}
