import type { Kysely, Selectable } from 'kysely';
import type { IsoDate } from '../../domain/dates';
import type { SignalRecord } from '../../domain/ports';
import type { Database, SignalTable } from './database';

/** The numeric columns of a stored bar that the enriched layout reads: prices, volume and indicators. */
export const ENRICHED_BAR_COLUMNS = [
  'open',
  'high',
  'low',
  'close',
  'adj_close',
  'volume',
  'sma7',
  'sma21',
  'sma50',
  'sma100',
  'sma200',
  'ema12',
  'ema26',
  'macd',
  'macd_signal',
] as const;

/** Every numeric column of `daily_bars`, in the order COPY and the upsert write them. */
export const STORED_BAR_COLUMNS = [...ENRICHED_BAR_COLUMNS, 'raw_close', 'split_factor'] as const;

/** The first and last stored day of `ticker`, or null when none is stored. */
export async function storedRangeOf(
  db: Kysely<Database>,
  ticker: string,
): Promise<{ first: IsoDate; last: IsoDate } | null> {
  const row = await db
    .selectFrom('daily_bars')
    .select((eb) => [eb.fn.min('date').as('first'), eb.fn.max('date').as('last')])
    .where('ticker', '=', ticker)
    .executeTakeFirst();
  if (!row?.first || !row.last) return null;
  return { first: row.first as IsoDate, last: row.last as IsoDate };
}

/** A stored signal row as the domain's record (camelCase; `run_date` left to callers that need it). */
export function signalRecordOf(row: Selectable<SignalTable>): SignalRecord {
  return {
    date: row.date,
    ticker: row.ticker,
    strategy: row.strategy,
    strategyVersion: row.strategy_version,
    signal: row.signal,
    close: row.close,
    inputs: row.inputs as SignalRecord['inputs'],
    ...(row.reported_by ? { reportedBy: row.reported_by } : {}),
  };
}
