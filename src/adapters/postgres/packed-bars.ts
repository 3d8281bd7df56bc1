import { sql, type Kysely } from 'kysely';
import type { EnrichedBar } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import type { BarWindow } from '../../domain/ports';
import { isoOfEpochDay } from '../../domain/strategies/bar-series';
import type { Database } from './database';
import { ENRICHED_BAR_COLUMNS } from './bar-queries';

/**
 * Bars of many tickers in one query, one bytea per ticker: per bar the epoch
 * day (int4) and float8 columns, big-endian. A row per bar costs microseconds
 * of driver parsing each; this is a native hex decode and a few reads, and
 * exact (float8 round-trips bit for bit).
 *
 * Two layouts: `prices` (open, high, low, close: what a sweep's backtests
 * read; adjClose repeats close, volume is 0, no indicators) and `enriched`
 * (every column; an undefined indicator travels as NaN and comes back null).
 */
export type PackedLayout = 'prices' | 'enriched';

const PRICE_COLUMNS = ['open', 'high', 'low', 'close'] as const;
const ENRICHED_COLUMNS = ENRICHED_BAR_COLUMNS;

function packedExpression(layout: PackedLayout) {
  const columns = layout === 'prices' ? PRICE_COLUMNS : ENRICHED_COLUMNS;
  // NaN, never stored, stands for null (float8send(null) would make the whole bar null).
  const parts = columns.map((c) => sql`float8send(coalesce(${sql.ref(c)}::float8, 'NaN'::float8))`);
  return sql.join([sql`int4send(date - date '1970-01-01')`, ...parts], sql` || `);
}

export async function readPackedBars(
  db: Kysely<Database>,
  tickers: readonly string[],
  range: { to?: IsoDate },
  layout: PackedLayout,
): Promise<Map<string, EnrichedBar[]>> {
  const out = new Map<string, EnrichedBar[]>();
  if (tickers.length === 0) return out;
  const result = await sql<{ ticker: string; packed: Buffer }>`
    select ticker, string_agg(${packedExpression(layout)}, ''::bytea order by date) as packed
    from daily_bars
    where ticker = any(${[...tickers]}::text[]) ${range.to ? sql`and date <= ${range.to}` : sql``}
    group by ticker`.execute(db);
  for (const row of result.rows)
    out.set(row.ticker, layout === 'prices' ? unpackPrices(row.packed) : unpackEnriched(row.packed));
  return out;
}

/**
 * {@link readPackedBars} of recent bars (see PriceRepository.recentBarsOfTickers):
 * per window, from its `before`-th bar back of `through` (found on the
 * primary key) to `to`. Reads what a day needs, not a whole history.
 */
export async function readPackedRecentBars(
  db: Kysely<Database>,
  windows: readonly BarWindow[],
  range: { to: IsoDate },
): Promise<Map<string, EnrichedBar[]>> {
  const out = new Map<string, EnrichedBar[]>();
  if (windows.length === 0) return out;
  const result = await sql<{ ticker: string; packed: Buffer }>`
    select b.ticker, string_agg(${packedExpression('enriched')}, ''::bytea order by b.date) as packed
    from unnest(${windows.map((w) => w.ticker)}::text[], ${windows.map((w) => w.through)}::date[],
                ${windows.map((w) => w.before)}::int[]) as w(w_ticker, w_through, w_before)
    cross join lateral (
      select coalesce((select d.date from daily_bars d where d.ticker = w.w_ticker and d.date <= w.w_through
                       order by d.date desc offset w.w_before limit 1), '-infinity'::date) as since) s
    join daily_bars b on b.ticker = w.w_ticker and b.date >= s.since and b.date <= ${range.to}
    group by b.ticker`.execute(db);
  for (const row of result.rows) out.set(row.ticker, unpackEnriched(row.packed));
  return out;
}

const PRICE_BYTES = 4 + 8 * PRICE_COLUMNS.length;
const ENRICHED_BYTES = 4 + 8 * ENRICHED_COLUMNS.length;

function unpackPrices(packed: Buffer): EnrichedBar[] {
  const n = packed.length / PRICE_BYTES;
  const bars: EnrichedBar[] = new Array(n);
  for (let i = 0, o = 0; i < n; i++, o += PRICE_BYTES) {
    const close = packed.readDoubleBE(o + 28);
    bars[i] = {
      date: isoOfEpochDay(packed.readInt32BE(o)),
      open: packed.readDoubleBE(o + 4),
      high: packed.readDoubleBE(o + 12),
      low: packed.readDoubleBE(o + 20),
      close,
      adjClose: close,
      volume: 0,
      sma7: null,
      sma21: null,
      sma50: null,
      sma100: null,
      sma200: null,
      ema12: null,
      ema26: null,
      macd: null,
      macdSignal: null,
    };
  }
  return bars;
}

function unpackEnriched(packed: Buffer): EnrichedBar[] {
  const n = packed.length / ENRICHED_BYTES;
  const bars: EnrichedBar[] = new Array(n);
  const num = (o: number) => packed.readDoubleBE(o);
  const orNull = (o: number) => {
    const v = packed.readDoubleBE(o);
    return Number.isNaN(v) ? null : v;
  };
  for (let i = 0, o = 0; i < n; i++, o += ENRICHED_BYTES) {
    bars[i] = {
      date: isoOfEpochDay(packed.readInt32BE(o)),
      open: num(o + 4),
      high: num(o + 12),
      low: num(o + 20),
      close: num(o + 28),
      adjClose: num(o + 36),
      volume: num(o + 44),
      sma7: orNull(o + 52),
      sma21: orNull(o + 60),
      sma50: orNull(o + 68),
      sma100: orNull(o + 76),
      sma200: orNull(o + 84),
      ema12: orNull(o + 92),
      ema26: orNull(o + 100),
      macd: orNull(o + 108),
      macdSignal: orNull(o + 116),
    };
  }
  return bars;
}
