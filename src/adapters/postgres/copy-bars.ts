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

const TWO_TO_32 = 2 ** 32;

/** True when every volume can travel as an int8 (a whole number within 2^53). */
export function hasWholeVolumes(bars: readonly EnrichedBar[]): boolean {
  return bars.every((b) => Number.isSafeInteger(b.volume) && b.volume >= 0);
}

/** A float8 field at `o`; returns the offset after it. */
function writeNumber(view: DataView, o: number, value: number): number {
  view.setInt32(o, 8);
  view.setFloat64(o + 4, value);
  return o + NUMBER_FIELD_BYTES;
}

/** A float8 field, or a null (4 bytes, not 12: the buffer ends up shorter than allocated). */
function writeNumberOrNull(view: DataView, o: number, value: number | null | undefined): number {
  if (value === null || value === undefined) {
    view.setInt32(o, NULL_LENGTH);
    return o + 4;
  }
  return writeNumber(view, o, value);
}

/**
 * One ticker's bars as COPY BINARY tuples; volume as int8 (`wholeVolume`, for
 * daily_bars itself) or float8 (staging). Written through a DataView, field
 * by field in {@link STAGED_NUMBER_COLUMNS} order, with no array or object
 * per bar: this runs once per stored bar, beside the COPY it feeds.
 */
function encodeTicker(ticker: string, bars: readonly EnrichedBar[], wholeVolume: boolean): Buffer {
  const name = Buffer.from(ticker, 'utf8');
  const rowBytes = 2 + (4 + name.length) + (4 + 4) + NUMBER_FIELD_BYTES * STAGED_NUMBER_COLUMNS.length;
  const out = Buffer.allocUnsafe(rowBytes * bars.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = 0;
  for (const bar of bars) {
    view.setInt16(o, FIELDS);
    view.setInt32(o + 2, name.length);
    o += 6 + name.copy(out, o + 6);
    view.setInt32(o, 4);
    view.setInt32(o + 4, epochDay(bar.date) - PG_EPOCH_DAY);
    o += 8;
    o = writeNumber(view, o, bar.open);
    o = writeNumber(view, o, bar.high);
    o = writeNumber(view, o, bar.low);
    o = writeNumber(view, o, bar.close);
    o = writeNumber(view, o, bar.adjClose);
    if (wholeVolume) {
      // int8 as two big-endian halves: exact for every whole number below 2^53.
      const high = Math.floor(bar.volume / TWO_TO_32);
      view.setInt32(o, 8);
      view.setUint32(o + 4, high);
      view.setUint32(o + 8, bar.volume - high * TWO_TO_32);
      o += NUMBER_FIELD_BYTES;
    } else o = writeNumber(view, o, bar.volume);
    o = writeNumberOrNull(view, o, bar.sma7);
    o = writeNumberOrNull(view, o, bar.sma21);
    o = writeNumberOrNull(view, o, bar.sma50);
    o = writeNumberOrNull(view, o, bar.sma100);
    o = writeNumberOrNull(view, o, bar.sma200);
    o = writeNumberOrNull(view, o, bar.ema12);
    o = writeNumberOrNull(view, o, bar.ema26);
    o = writeNumberOrNull(view, o, bar.macd);
    o = writeNumberOrNull(view, o, bar.macdSignal);
    const adjusted = bar.splitFactor !== undefined && bar.splitFactor !== 1;
    o = writeNumberOrNull(view, o, adjusted ? bar.rawClose : null);
    o = writeNumber(view, o, bar.splitFactor ?? 1);
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
