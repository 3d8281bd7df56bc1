import { sql, type Kysely } from 'kysely';
import type {
  StoredSweep,
  SweepReader,
  SweepResultRow,
  SweepStart,
  SweepStore,
  TickerBarsReader,
} from '../../domain/ports';
import type { ComboFigures } from '../../domain/backtest/heatmap';
import type { EnrichedBar } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import type { StrategyParams } from '../../domain/strategies/strategy';
import type { Selectable } from 'kysely';
import type { Database, SweepResultTable, SweepTable } from './database';
import { readPackedBars } from './packed-bars';

/**
 * Bars of many tickers in one query, and sweep results in one multi-row
 * insert per batch. The bulk read carries what a backtest reads (the
 * `prices` layout of ./packed-bars) without the stored indicator columns: a
 * BarSeries computes the averages it needs from the closes (exactly equal
 * to the stored ones, see `simpleMovingAverage`).
 */
export class PostgresSweepRepository implements SweepStore, TickerBarsReader, SweepReader {
  constructor(private readonly db: Kysely<Database>) {}

  async barsOfTickers(tickers: readonly string[], range: { to?: IsoDate } = {}): Promise<Map<string, EnrichedBar[]>> {
    return readPackedBars(this.db, tickers, range, 'prices');
  }

  async startSweep(input: SweepStart): Promise<void> {
    await this.db
      .insertInto('sweeps')
      .values({
        id: input.id,
        strategy: input.strategy,
        grid: input.grid,
        combos: input.parameterSets.length,
        parameter_sets: JSON.stringify(input.parameterSets),
        tickers: input.tickers,
        from_date: input.from ?? null,
        to_date: input.to ?? null,
        initial_capital: input.initialCapital,
        status: 'running',
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async saveSweepResults(sweepId: string, rows: readonly SweepResultRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One statement for the whole batch: one array parameter per column.
    await sql`
      insert into sweep_results (sweep_id, ticker, combo, return_pct, num_trades, sharpe, max_drawdown_pct, final_capital)
      select ${sweepId}, * from unnest(
        ${rows.map((r) => r.ticker)}::text[], ${rows.map((r) => r.combo)}::int[],
        ${rows.map((r) => r.returnPct)}::float8[], ${rows.map((r) => r.numTrades)}::int[], ${rows.map((r) => r.sharpe)}::float8[],
        ${rows.map((r) => r.maxDrawdownPct)}::float8[], ${rows.map((r) => r.finalCapital)}::float8[])
      on conflict (sweep_id, ticker, combo) do update set
        return_pct = excluded.return_pct, num_trades = excluded.num_trades, sharpe = excluded.sharpe,
        max_drawdown_pct = excluded.max_drawdown_pct, final_capital = excluded.final_capital`.execute(this.db);
  }

  async finishSweep(id: string): Promise<void> {
    await this.db
      .updateTable('sweeps')
      .set({ status: 'completed', finished_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Every stored row of a sweep, by ticker then grid order. */
  async sweepResults(sweepId: string): Promise<SweepResultRow[]> {
    const sweep = await this.db
      .selectFrom('sweeps')
      .select('parameter_sets')
      .where('id', '=', sweepId)
      .executeTakeFirst();
    if (!sweep) return [];
    const rows = await this.db
      .selectFrom('sweep_results')
      .selectAll()
      .where('sweep_id', '=', sweepId)
      .orderBy(['ticker', 'combo'])
      .execute();
    return rows.map((r) => toResultRow(r, sweep.parameter_sets));
  }

  async sweepResultsPage(
    id: string,
    page: { limit: number; after?: { ticker: string; combo: number } },
  ): Promise<SweepResultRow[]> {
    const sweep = await this.db.selectFrom('sweeps').select('parameter_sets').where('id', '=', id).executeTakeFirst();
    if (!sweep) return [];
    let query = this.db.selectFrom('sweep_results').selectAll().where('sweep_id', '=', id);
    if (page.after)
      query = query.where(sql<boolean>`(ticker, combo) > (${page.after.ticker}, ${page.after.combo}::int)`);
    const rows = await query.orderBy('ticker').orderBy('combo').limit(page.limit).execute();
    return rows.map((r) => toResultRow(r, sweep.parameter_sets));
  }

  async sweep(id: string): Promise<StoredSweep | null> {
    const r = await this.db.selectFrom('sweeps').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toStoredSweep(r) : null;
  }

  async listSweeps(page: { limit: number; after?: { startedAt: string; id: string } }): Promise<StoredSweep[]> {
    // Milliseconds: what a JS Date (and so the cursor) holds; the id breaks ties.
    const started = sql<Date>`date_trunc('milliseconds', started_at)`;
    let query = this.db.selectFrom('sweeps').selectAll();
    if (page.after)
      query = query.where(sql<boolean>`(${started}, id) < (${page.after.startedAt}::timestamptz, ${page.after.id})`);
    const rows = await query.orderBy(started, 'desc').orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(toStoredSweep);
  }

  async sweepTickers(id: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('sweep_results')
      .select('ticker')
      .distinct()
      .where('sweep_id', '=', id)
      .orderBy('ticker')
      .execute();
    return rows.map((r) => r.ticker);
  }

  async comboFigures(id: string, ticker?: string): Promise<ComboFigures[]> {
    let query = this.db
      .selectFrom('sweep_results')
      .select((eb) => [
        'combo',
        eb.fn.countAll<string>().as('tickers'),
        eb.fn.avg<number | null>('sharpe').as('sharpe'),
        eb.fn.avg<number>('return_pct').as('return_pct'),
        eb.fn.avg<number>('max_drawdown_pct').as('max_drawdown_pct'),
        eb.fn.avg<number>('num_trades').as('num_trades'),
      ])
      .where('sweep_id', '=', id);
    if (ticker) query = query.where('ticker', '=', ticker);
    const rows = await query.groupBy('combo').orderBy('combo').execute();
    return rows.map((r) => ({
      combo: r.combo,
      tickers: Number(r.tickers),
      sharpe: r.sharpe === null ? null : Number(r.sharpe),
      returnPct: Number(r.return_pct),
      maxDrawdownPct: Number(r.max_drawdown_pct),
      numTrades: Number(r.num_trades),
    }));
  }
}

/** A stored result row with the parameter set its `combo` indexes. */
function toResultRow(r: Selectable<SweepResultTable>, parameterSets: readonly StrategyParams[]): SweepResultRow {
  return {
    ticker: r.ticker,
    combo: r.combo,
    params: parameterSets[r.combo],
    returnPct: r.return_pct,
    numTrades: r.num_trades,
    sharpe: r.sharpe,
    maxDrawdownPct: r.max_drawdown_pct,
    finalCapital: r.final_capital,
  };
}

function toStoredSweep(r: Selectable<SweepTable>): StoredSweep {
  return {
    id: r.id,
    strategy: r.strategy,
    grid: r.grid,
    combos: r.combos,
    parameterSets: r.parameter_sets,
    tickers: r.tickers,
    from: r.from_date,
    to: r.to_date,
    initialCapital: r.initial_capital,
    status: r.status,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
  };
}
