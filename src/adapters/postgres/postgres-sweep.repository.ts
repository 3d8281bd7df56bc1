import { sql, type Kysely } from 'kysely';
import type { SweepResultRow, SweepStore, TickerBarsReader } from '../../activities/research.activities';
import type { EnrichedBar } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import type { Database } from './database';

/**
 * Bars of many tickers in one query, and sweep results in one multi-row
 * insert per batch. Bars come without their stored indicator columns: a
 * BarSeries computes the averages it needs from the closes (exactly equal to
 * the stored ones, see `simpleMovingAverage`), and the row is a third as wide.
 */
export class PostgresSweepRepository implements SweepStore, TickerBarsReader {
  constructor(private readonly db: Kysely<Database>) {}

  async barsOfTickers(tickers: readonly string[], range: { to?: IsoDate } = {}): Promise<Map<string, EnrichedBar[]>> {
    const out = new Map<string, EnrichedBar[]>();
    if (tickers.length === 0) return out;
    const result = await sql<{ ticker: string; date: string; open: number; high: number; low: number; close: number; adj_close: number; volume: number }>`
      select ticker, date, open, high, low, close, adj_close, volume from daily_bars
      where ticker = any(${[...tickers]}::text[]) ${range.to ? sql`and date <= ${range.to}` : sql``}
      order by ticker, date`.execute(this.db);
    let current: EnrichedBar[] | undefined;
    let currentTicker = '';
    for (const r of result.rows) {
      if (r.ticker !== currentTicker) {
        currentTicker = r.ticker;
        out.set(currentTicker, (current = []));
      }
      current!.push({
        date: r.date, open: r.open, high: r.high, low: r.low, close: r.close, adjClose: r.adj_close, volume: r.volume,
        sma7: null, sma21: null, sma50: null, sma100: null, sma200: null, ema12: null, ema26: null, macd: null, macdSignal: null,
      });
    }
    return out;
  }

  async startSweep(input: { id: string; strategy: string; grid: string; combos: number; tickers: number; from?: IsoDate; to?: IsoDate; initialCapital: number }): Promise<void> {
    await this.db
      .insertInto('sweeps')
      .values({
        id: input.id, strategy: input.strategy, grid: input.grid, combos: input.combos, tickers: input.tickers,
        from_date: input.from ?? null, to_date: input.to ?? null, initial_capital: input.initialCapital, status: 'running',
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async saveSweepResults(sweepId: string, rows: readonly SweepResultRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One statement for the whole batch: one array parameter per column.
    await sql`
      insert into sweep_results (sweep_id, ticker, combo, params, return_pct, num_trades, sharpe, max_drawdown_pct, final_capital)
      select ${sweepId}, * from unnest(
        ${rows.map((r) => r.ticker)}::text[], ${rows.map((r) => r.combo)}::int[], ${rows.map((r) => JSON.stringify(r.params))}::jsonb[],
        ${rows.map((r) => r.returnPct)}::float8[], ${rows.map((r) => r.numTrades)}::int[], ${rows.map((r) => r.sharpe)}::float8[],
        ${rows.map((r) => r.maxDrawdownPct)}::float8[], ${rows.map((r) => r.finalCapital)}::float8[])
      on conflict (sweep_id, ticker, combo) do update set
        params = excluded.params, return_pct = excluded.return_pct, num_trades = excluded.num_trades, sharpe = excluded.sharpe,
        max_drawdown_pct = excluded.max_drawdown_pct, final_capital = excluded.final_capital`.execute(this.db);
  }

  async finishSweep(id: string): Promise<void> {
    await this.db.updateTable('sweeps').set({ status: 'completed', finished_at: sql`now()` }).where('id', '=', id).execute();
  }

  /** Every stored row of a sweep, by ticker then grid order. */
  async sweepResults(sweepId: string): Promise<SweepResultRow[]> {
    const rows = await this.db.selectFrom('sweep_results').selectAll().where('sweep_id', '=', sweepId).orderBy(['ticker', 'combo']).execute();
    return rows.map((r) => ({
      ticker: r.ticker, combo: r.combo, params: r.params, returnPct: r.return_pct, numTrades: r.num_trades,
      sharpe: r.sharpe, maxDrawdownPct: r.max_drawdown_pct, finalCapital: r.final_capital,
    }));
  }
}
