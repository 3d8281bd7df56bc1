import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { RawPriceRow } from '../../domain/bar';
import type { IsoDate } from '../../domain/dates';
import { classifyErrorBody } from '../../domain/error-body';
import { MarketDataError } from '../../domain/errors';
import type { MarketDataProvider } from '../../domain/ports';
import { normalizeRawDate } from '../../domain/price-validation';

/**
 * A symbol this provider will turn into a file name: upper-case letters, digits
 * and the marks providers' symbols use (`BRK.B`, `BTC-USD`, `^GSPC`), no path
 * separators. A path-safety rule, wider than the ticker rule the doors check
 * (src/domain/ticker-symbol.ts).
 */
const FILE_SYMBOL = /^[A-Z0-9^][A-Z0-9.^=_-]{0,31}$/;
const PRICE_FILE = /^(.+?)(_data)?\.csv$/i;

/** Header names (lower-case, letters and digits only) that hold each field. */
const COLUMN_ALIASES = {
  date: ['date', 'timestamp'],
  open: ['open'],
  high: ['high'],
  low: ['low'],
  close: ['close'],
  volume: ['volume'],
  adjClose: ['adjclose', 'adjustedclose'],
  dividend: ['dividendamount', 'dividend', 'dividends'],
  splitCoefficient: ['splitcoefficient', 'splitfactor', 'stocksplits'],
  symbol: ['name', 'symbol', 'ticker'],
} as const;
const REQUIRED_COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;

type Field = keyof typeof COLUMN_ALIASES;
type ColumnIndex = Record<Field, number>;

/** One CSV record with the source line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Market data from a directory of per-ticker CSV files, `<TICKER>.csv` or
 * `<TICKER>_data.csv`. Reads the old system's files (quoted and unquoted
 * values, `NULL`, `adj_close`, CRLF, extra columns), the S&P 500 files
 * (`date,open,high,low,close,volume,Name`), Yahoo's export
 * (`Date,Open,High,Low,Close,Adj Close,Volume`) and Alpha Vantage's daily
 * adjusted format (`timestamp,open,high,low,close,adjusted_close,volume,
 * dividend_amount,split_coefficient`: raw prices with the day's split and
 * dividend): columns are found by header name, case-insensitively, and
 * unknown columns are ignored.
 */
export class CsvMarketDataProvider implements MarketDataProvider {
  readonly name = 'csv';

  constructor(private readonly dir: string) {}

  /**
   * Raw rows of `ticker` dated in [from, to]; rows whose date does not parse
   * are kept. With `from` (a known ticker's next days) a large file is read
   * from its end back to the first row before `from` (see {@link readRowsFrom}),
   * so a day's read does not grow with the file's years; a file whose rows
   * are not in date order is read whole.
   */
  async fetchDaily(request: { ticker: string; from?: IsoDate; to: IsoDate }): Promise<RawPriceRow[]> {
    const ticker = sanitizeTicker(request.ticker);
    const { file, handle } = await this.openTickerFile(ticker);
    let rows: RawPriceRow[];
    try {
      const size = (await handle.stat()).size;
      const tail = request.from !== undefined && size > WHOLE_FILE_BYTES;
      rows =
        (tail ? await readRowsFrom(handle, size, request.from!, file) : null) ??
        parsePriceCsv(await handle.readFile('utf8'), file);
    } catch (error) {
      if (error instanceof MarketDataError) throw error;
      throw new MarketDataError(`cannot read price file ${file}: ${describeFsError(error)}`);
    } finally {
      await handle.close();
    }
    const { from, to } = request;
    const inRange = (date: string) => (from === undefined || date >= from) && date <= to;
    return rows.filter((row) => {
      // A plain YYYY-MM-DD cell in range is kept whether or not it is a real date (validation judges it): no parsing needed.
      if (row.date.length === 10 && inRange(row.date)) return true;
      const date = normalizeRawDate(row.date);
      return date === null || inRange(date);
    });
  }

  /** Tickers named by the price files in the directory, upper-case and sorted. */
  async listTickers(): Promise<string[]> {
    const names = await this.readDirectory();
    const tickers = new Set<string>();
    for (const name of names) {
      const match = PRICE_FILE.exec(name);
      const ticker = match?.[1].toUpperCase();
      if (ticker && FILE_SYMBOL.test(ticker) && !ticker.includes('..')) tickers.add(ticker);
    }
    return [...tickers].sort();
  }

  private async readDirectory(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (error) {
      throw new MarketDataError(`market-data directory ${this.dir} cannot be read: ${describeFsError(error)}`);
    }
  }

  private async openTickerFile(ticker: string): Promise<{ file: string; handle: FileHandle }> {
    const candidates = [`${ticker}.csv`, `${ticker}_data.csv`];
    for (const name of candidates) {
      const file = path.join(this.dir, name);
      const handle = await openIfExists(file);
      if (handle !== null) return { file, handle };
    }
    await this.assertDirectory();
    // File systems are case-sensitive; accept `aapl.csv` for AAPL as listTickers does.
    const wanted = new Set(candidates.map((c) => c.toLowerCase()));
    const match = (await this.readDirectory()).find((name) => wanted.has(name.toLowerCase()));
    if (match) {
      const file = path.join(this.dir, match);
      const handle = await openIfExists(file);
      if (handle !== null) return { file, handle };
    }
    throw new MarketDataError(
      `no price file for ticker ${ticker} in ${this.dir} (tried ${candidates.map((c) => path.join(this.dir, c)).join(', ')})`,
    );
  }

  private async assertDirectory(): Promise<void> {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(this.dir)).isDirectory();
    } catch (error) {
      throw new MarketDataError(
        `market-data directory ${this.dir} does not exist or cannot be read: ${describeFsError(error)}`,
      );
    }
    if (!isDirectory) throw new MarketDataError(`market-data directory ${this.dir} is not a directory`);
  }
}

/** `ticker` upper-cased, or a {@link MarketDataError} when it could escape the directory or is not a ticker. */
export function sanitizeTicker(ticker: string): string {
  const upper = ticker.trim().toUpperCase();
  if (!FILE_SYMBOL.test(upper) || upper.includes('..')) {
    throw new MarketDataError(`invalid ticker '${ticker}': use letters, digits and . - ^ = _ only`);
  }
  return upper;
}

/** The file opened for reading, null when it does not exist, a {@link MarketDataError} when it cannot be opened. */
async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MarketDataError(`cannot read price file ${file}: ${describeFsError(error)}`);
  }
}

/** Files up to this size are read whole: reading from the end would save little. */
export const WHOLE_FILE_BYTES = 256 * 1024;
/** Where the header line must end (a longer one: the file is read whole). */
const HEADER_BYTES = 4096;
/** The first step back from a file's end; each further step doubles. */
const TAIL_STEP_BYTES = 16 * 1024;

/**
 * The rows of a price file from the last one dated before `from` on, read
 * from the file's end back in doubling steps: the header, then only the tail
 * that holds them. The file is judged as it is now, never from a remembered
 * offset, so a file rewritten since the last run reads like any other. Null
 * (read the whole file) when the tail's rows are not in ascending date order
 * (a newest-first export) or the tail does not parse (the whole file's read
 * gives the error). Rows from the tail carry no line number (the lines before it are not counted).
 */
async function readRowsFrom(
  handle: FileHandle,
  size: number,
  from: IsoDate,
  source: string,
): Promise<RawPriceRow[] | null> {
  const head = await readBytes(handle, 0, Math.min(size, HEADER_BYTES));
  const headerEnd = head.indexOf(LF);
  if (headerEnd < 0) return null;
  const header = head.subarray(0, headerEnd + 1).toString('utf8');
  const bodyStart = headerEnd + 1;
  let start = size;
  let step = TAIL_STEP_BYTES;
  let tail = Buffer.alloc(0);
  for (;;) {
    const next = Math.max(bodyStart, start - step);
    tail = Buffer.concat([await readBytes(handle, next, start - next), tail]);
    start = next;
    step *= 2;
    // Back at the header: the whole file is read, and parsed as such.
    if (start === bodyStart) return parsePriceCsv(header + tail.toString('utf8'), source);
    // The bytes before the first line break may be the end of a cut line.
    const firstLine = tail.indexOf(LF);
    if (firstLine < 0 || firstLine === tail.length - 1) continue;
    let rows: RawPriceRow[];
    try {
      rows = parsePriceCsv(header + tail.subarray(firstLine + 1).toString('utf8'), source);
    } catch (error) {
      if (error instanceof MarketDataError) return null;
      throw error;
    }
    const dates = rows.map((row) => normalizeRawDate(row.date)).filter((date): date is IsoDate => date !== null);
    if (dates.some((date, i) => i > 0 && date < dates[i - 1])) return null;
    if (dates.length > 0 && dates[0] < from) {
      for (const row of rows) delete row.line;
      return rows;
    }
  }
}

/** `length` bytes of the file from `position`. */
async function readBytes(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code} (${e.message})` : String(error);
}

/**
 * Raw price rows of one CSV file's text; `source` names the file in errors.
 * Throws {@link MarketDataError} when the file is empty (no header, or a
 * header and no rows), is an error document or an HTML page (see
 * {@link classifyErrorBody}), or its header lacks a required column.
 */
export function parsePriceCsv(text: string, source: string): RawPriceRow[] {
  // An error document or an HTML page in place of CSV is a failed fetch, not data.
  const errorBody = classifyErrorBody(text);
  if (errorBody !== null && errorBody.kind !== 'empty') throw new MarketDataError(`${source} ${errorBody.reason}`);
  const rows: RawPriceRow[] = [];
  let columns: ColumnIndex | null = null;
  const onRecord = (fields: string[], line: number): void => {
    if (columns === null) {
      columns = findColumns(fields, source);
      return;
    }
    rows.push({
      date: fields[columns.date] ?? '',
      open: fields[columns.open],
      high: fields[columns.high],
      low: fields[columns.low],
      close: fields[columns.close],
      // undefined when the file has no adjusted close: validation then uses close.
      adjClose: columns.adjClose >= 0 ? fields[columns.adjClose] : undefined,
      volume: fields[columns.volume],
      // undefined when the file has no such column: no split, no dividend.
      dividend: columns.dividend >= 0 ? fields[columns.dividend] : undefined,
      splitCoefficient: columns.splitCoefficient >= 0 ? fields[columns.splitCoefficient] : undefined,
      // undefined when the file does not name a ticker per row: every row is the file's.
      symbol: columns.symbol >= 0 ? fields[columns.symbol] : undefined,
      line,
    });
  };
  try {
    forEachCsvRecord(text, onRecord);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new MarketDataError(`${source}: ${error.message}`);
    throw error;
  }
  if (columns === null)
    throw new MarketDataError(`${source} is empty: expected a header with ${REQUIRED_COLUMNS.join(', ')}`);
  if (rows.length === 0) throw new MarketDataError(`${source} is empty: a header and no rows`);
  return rows;
}

function findColumns(headerFields: string[], source: string): ColumnIndex {
  const normalized = headerFields.map((h) => h.toLowerCase().replace(/[^a-z0-9]/g, ''));
  const index = {} as ColumnIndex;
  for (const field of Object.keys(COLUMN_ALIASES) as Field[]) {
    const aliases: readonly string[] = COLUMN_ALIASES[field];
    index[field] = normalized.findIndex((name) => aliases.includes(name));
  }
  const missing = REQUIRED_COLUMNS.filter((field) => index[field] < 0);
  if (missing.length > 0) {
    throw new MarketDataError(
      `${source}: header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${headerFields.join(', ')})`,
    );
  }
  return index;
}

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

/** A CSV text that cannot be split into records. */
export class CsvSyntaxError extends Error {}

/**
 * RFC 4180 CSV: fields split by commas, optionally quoted (`""` escapes a
 * quote, quoted fields may hold commas and line breaks), rows ended by LF or
 * CRLF, blank lines skipped, a leading BOM ignored; an unterminated quote
 * throws {@link CsvSyntaxError}. Hand-written because
 * csv-parse took ~1.2 s for the 619,040 S&P rows against a ~1 s parse budget
 * (this takes ~0.2 s), and uDSV, though fast, merges a short row into the next.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  forEachCsvRecord(text, (fields, line) => records.push({ fields, line }));
  return records;
}

/** Calls `onRecord` with each record of `text` (see {@link parseCsv}) and the line it starts on. */
export function forEachCsvRecord(text: string, onRecord: (fields: string[], line: number) => void): void {
  const length = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (pos < length) {
    const startLine = line;
    const fields: string[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let value: string;
      if (text.charCodeAt(pos) === QUOTE) {
        let parts = '';
        let from = pos + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close < 0) throw new CsvSyntaxError(`unterminated quoted field starting on line ${line}`);
          parts += text.slice(from, close);
          if (text.charCodeAt(close + 1) === QUOTE) {
            parts += '"';
            from = close + 2;
            continue;
          }
          pos = close + 1;
          break;
        }
        for (let i = parts.indexOf('\n'); i >= 0; i = parts.indexOf('\n', i + 1)) line++;
        // Anything between the closing quote and the delimiter is kept, not dropped.
        const tailStart = pos;
        while (pos < length) {
          const c = text.charCodeAt(pos);
          if (c === COMMA || c === LF || c === CR) break;
          pos++;
        }
        value = tailStart === pos ? parts : parts + text.slice(tailStart, pos);
      } else {
        const start = pos;
        while (pos < length) {
          const c = text.charCodeAt(pos);
          if (c === COMMA || c === LF || c === CR) break;
          pos++;
        }
        value = text.slice(start, pos);
      }
      fields.push(value);
      const c = pos < length ? text.charCodeAt(pos) : LF;
      pos++;
      if (c === COMMA) {
        if (pos >= length) fields.push('');
        else continue;
      }
      if (c === CR && text.charCodeAt(pos) === LF) pos++;
      if (c !== COMMA) line++;
      endOfRecord = true;
    }
    if (fields.length === 1 && fields[0] === '') continue;
    onRecord(fields, startLine);
  }
}
