import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EnrichedBar } from '../../domain/bar';
import { epochDay } from '../../domain/strategies/bar-series';
import { STORED_BAR_COLUMNS } from './bar-queries';

/**
 * Bulk load of bars with Postgres COPY in binary format into a per-connection
 * staging table: no SQL parameters to bind, no text for the server to parse,
 * and every float8 travels as its 8 bytes (exact, and no number-to-string
 * conversion in Node, which would cost more than the load itself).
 */

/** The staging table's float8 columns, in COPY order (volume is float8 here; the upsert casts it). */
export const STAGED_NUMBER_COLUMNS = STORED_BAR_COLUMNS;

export const STAGING_TABLE = 'ingest_bars_staging';

/** Created once per connection; emptied by every commit (a temp table is private to its session). */
export const CREATE_STAGING_SQL = `create temp table if not exists ${STAGING_TABLE} (
  ticker text not null, date date not null, ${STAGED_NUMBER_COLUMNS.map((c) => `${c} float8`).join(', ')}
) on commit delete rows`;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Days from 1970-01-01 to 2000-01-01, Postgres' date epoch. */
const PG_EPOCH_DAY = 10_957;
const FIELDS = 2 + STAGED_NUMBER_COLUMNS.length;
const NUMBER_FIELD_BYTES = 4 + 8;
const NULL_LENGTH = -1;
const VOLUME_INDEX = STAGED_NUMBER_COLUMNS.indexOf('volume');

function numberValues(bar: EnrichedBar): Array<number | null> {
  const adjusted = bar.splitFactor !== undefined && bar.splitFactor !== 1;
  return [
    bar.open,
    bar.high,
    bar.low,
    bar.close,
    bar.adjClose,
    bar.volume,
    bar.sma7,
    bar.sma21,
    bar.sma50,
    bar.sma100,
    bar.sma200,
    bar.ema12,
    bar.ema26,
    bar.macd,
    bar.macdSignal,
    adjusted ? (bar.rawClose ?? null) : null,
    bar.splitFactor ?? 1,
  ];
}

const TWO_TO_32 = 2 ** 32;

/** True when every volume can travel as an int8 (a whole number within 2^53). */
export function hasWholeVolumes(bars: readonly EnrichedBar[]): boolean {
  return bars.every((b) => Number.isSafeInteger(b.volume) && b.volume >= 0);
}

/** One ticker's bars as COPY BINARY tuples; volume as int8 (`wholeVolume`, for daily_bars itself) or float8 (staging). */
function encodeTicker(ticker: string, bars: readonly EnrichedBar[], wholeVolume: boolean): Buffer {
  const name = Buffer.from(ticker, 'utf8');
  const rowBytes = 2 + (4 + name.length) + (4 + 4) + NUMBER_FIELD_BYTES * STAGED_NUMBER_COLUMNS.length;
  const out = Buffer.allocUnsafe(rowBytes * bars.length);
  let o = 0;
  for (const bar of bars) {
    o = out.writeInt16BE(FIELDS, o);
    o = out.writeInt32BE(name.length, o);
    o += name.copy(out, o);
    o = out.writeInt32BE(4, o);
    o = out.writeInt32BE(epochDay(bar.date) - PG_EPOCH_DAY, o);
    const values = numberValues(bar);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (wholeVolume && i === VOLUME_INDEX) {
        // int8 as two big-endian halves: exact for every whole number below 2^53.
        const high = Math.floor(bar.volume / TWO_TO_32);
        o = out.writeInt32BE(8, o);
        o = out.writeUInt32BE(high, o);
        o = out.writeUInt32BE(bar.volume - high * TWO_TO_32, o);
      } else if (value === null) {
        // A null takes 4 bytes, not 12: the buffer ends up shorter than allocated.
        o = out.writeInt32BE(NULL_LENGTH, o);
      } else {
        o = out.writeInt32BE(8, o);
        o = out.writeDoubleBE(value, o);
      }
    }
  }
  return out.subarray(0, o);
}

function* copyChunks(
  batch: ReadonlyArray<{ ticker: string; bars: readonly EnrichedBar[] }>,
  wholeVolume: boolean,
): Generator<Buffer> {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header, 0);
  // Flags (no OIDs) and header extension length, both 0.
  yield header;
  for (const { ticker, bars } of batch) if (bars.length > 0) yield encodeTicker(ticker, bars, wholeVolume);
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}

const COPY_COLUMNS = ['ticker', 'date', ...STAGED_NUMBER_COLUMNS].join(', ');

/** COPY every bar of `batch` into the (created if needed) staging table on `client`, inside its open transaction. */
export async function copyBarsToStaging(
  client: pg.PoolClient,
  batch: ReadonlyArray<{ ticker: string; bars: readonly EnrichedBar[] }>,
): Promise<void> {
  await client.query(CREATE_STAGING_SQL);
  const stream = client.query(copyFrom(`copy ${STAGING_TABLE} (${COPY_COLUMNS}) from stdin with (format binary)`));
  await pipeline(Readable.from(copyChunks(batch, false), { objectMode: false }), stream);
}

/**
 * COPY `batch` straight into daily_bars, inside the open transaction: for
 * tickers that have no stored bar (nothing to upsert against), whose volumes
 * are whole ({@link hasWholeVolumes}). Any key conflict fails the COPY.
 */
export async function copyBarsToTable(
  client: pg.PoolClient,
  batch: ReadonlyArray<{ ticker: string; bars: readonly EnrichedBar[] }>,
): Promise<void> {
  const stream = client.query(copyFrom(`copy daily_bars (${COPY_COLUMNS}) from stdin with (format binary)`));
  await pipeline(Readable.from(copyChunks(batch, true), { objectMode: false }), stream);
}
