import { sql, type Kysely } from 'kysely';
import type { SweepResultRow, SweepStore, TickerBarsReader } from '../../activities/research.activities';
import type { EnrichedBar } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import type { StrategyParams } from '../../domain/strategies/strategy';
import type { Database } from './database';

/**
 * Bars of many tickers in one query, and sweep results in one multi-row
 * insert per batch. The bulk read carries what a backtest reads (date, open,
 * high, low, close; adjClose repeats close, volume is 0) without the stored
 * indicator columns: a BarSeries computes the averages it needs from the
 * closes (exactly equal to the stored ones, see `simpleMovingAverage`).
 */
export class PostgresSweepRepository implements SweepStore, TickerBarsReader {
  constructor(private readonly db: Kysely<Database>) {}

  async barsOfTickers(tickers: readonly string[], range: { to?: IsoDate } = {}): Promise<Map<string, EnrichedBar[]>> {
    const out = new Map<string, EnrichedBar[]>();
    if (tickers.length === 0) return out;
    // One bytea per ticker: per bar the epoch day (int4) and open, high, low,
    // close (float8), big-endian. A row per bar costs microseconds of driver
    // parsing each; this is a native hex decode and a few reads, and exact.
    const result = await sql<{ ticker: string; packed: Buffer }>`
      select ticker, string_agg(int4send(date - date '1970-01-01') || float8send(open) || float8send(high) || float8send(low) || float8send(close), ''::bytea order by date) as packed
      from daily_bars
      where ticker = any(${[...tickers]}::text[]) ${range.to ? sql`and date <= ${range.to}` : sql``}
      group by ticker`.execute(this.db);
    for (const row of result.rows) out.set(row.ticker, unpackBars(row.packed));
    return out;
  }

  async startSweep(input: { id: string; strategy: string; grid: string; parameterSets: readonly StrategyParams[]; tickers: number; from?: IsoDate; to?: IsoDate; initialCapital: number }): Promise<void> {
    await this.db
      .insertInto('sweeps')
      .values({
        id: input.id, strategy: input.strategy, grid: input.grid, combos: input.parameterSets.length, parameter_sets: JSON.stringify(input.parameterSets), tickers: input.tickers,
        from_date: input.from ?? null, to_date: input.to ?? null, initial_capital: input.initialCapital, status: 'running',
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
    await this.db.updateTable('sweeps').set({ status: 'completed', finished_at: sql`now()` }).where('id', '=', id).execute();
  }

  /** Every stored row of a sweep, by ticker then grid order. */
  async sweepResults(sweepId: string): Promise<SweepResultRow[]> {
    const sweep = await this.db.selectFrom('sweeps').select('parameter_sets').where('id', '=', sweepId).executeTakeFirst();
    if (!sweep) return [];
    const rows = await this.db.selectFrom('sweep_results').selectAll().where('sweep_id', '=', sweepId).orderBy(['ticker', 'combo']).execute();
    return rows.map((r) => ({
      ticker: r.ticker, combo: r.combo, params: sweep.parameter_sets[r.combo], returnPct: r.return_pct, numTrades: r.num_trades,
      sharpe: r.sharpe, maxDrawdownPct: r.max_drawdown_pct, finalCapital: r.final_capital,
    }));
  }
}

const BAR_BYTES = 36;

/** The bars of {@link PostgresSweepRepository.barsOfTickers}' packed bytes. */
function unpackBars(packed: Buffer): EnrichedBar[] {
  const n = packed.length / BAR_BYTES;
  const bars: EnrichedBar[] = new Array(n);
  for (let i = 0, o = 0; i < n; i++, o += BAR_BYTES) {
    const close = packed.readDoubleBE(o + 28);
    bars[i] = {
      date: isoDateOfEpochDay(packed.readInt32BE(o)), open: packed.readDoubleBE(o + 4), high: packed.readDoubleBE(o + 12), low: packed.readDoubleBE(o + 20),
      close, adjClose: close, volume: 0,
      sma7: null, sma21: null, sma50: null, sma100: null, sma200: null, ema12: null, ema26: null, macd: null, macdSignal: null,
    };
  }
  return bars;
}

/** `YYYY-MM-DD` of days since 1970-01-01 (H. Hinnant's civil-from-days; no Date: this runs once per bar). */
function isoDateOfEpochDay(day: number): IsoDate {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}
