import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CsvMarketDataProvider,
  WHOLE_FILE_BYTES,
  parseCsv,
  parsePriceCsv,
} from '../../src/adapters/market-data/csv-market-data.provider';
import { createMarketDataProvider } from '../../src/adapters/market-data/market-data.factory';
import { MarketDataError } from '../../src/domain/errors';
import { validatePriceRows } from '../../src/domain/price-validation';

const DATA = path.resolve(__dirname, '../../../shared/data');
const FIXTURES = path.resolve(__dirname, '../fixtures/market-data');
const SAMPLE = path.resolve(__dirname, '../../data/sample');
const AS_OF = '2030-01-01';

function provider(subdir: string): CsvMarketDataProvider {
  return new CsvMarketDataProvider(path.join(FIXTURES, subdir));
}

describe('CsvMarketDataProvider: the three formats', () => {
  it("reads the old system's files: CRLF, quoted and unquoted numbers mixed, NULL, adj_close, extra ma_* columns", async () => {
    const rows = await provider('seed-format').fetchDaily({ ticker: 'AAPL', to: AS_OF });
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual({
      date: '1980-12-12',
      open: '0.128348',
      high: '0.128906',
      low: '0.128348',
      close: '0.128348',
      adjClose: '0.1006',
      volume: '469033600',
      line: 2,
    });
    const { bars, rejected } = validatePriceRows(rows, { asOf: AS_OF });
    expect(rejected).toEqual([]);
    expect(bars.map((b) => b.date)).toEqual([
      '1980-12-12',
      '1980-12-15',
      '1980-12-16',
      '1988-11-09',
      '1988-11-10',
      '1988-11-11',
    ]);
    expect(bars[3]).toEqual({
      date: '1988-11-09',
      open: 0.341518,
      high: 0.351563,
      low: 0.339286,
      close: 0.350446,
      adjClose: 0.277671,
      volume: 201723200,
    });
  });

  it('reads the S&P 500 files, ignoring Name, with adjusted close = close', async () => {
    const rows = await provider('sp500-format').fetchDaily({ ticker: 'aapl', to: AS_OF });
    expect(rows).toHaveLength(5);
    const { bars } = validatePriceRows(rows, { asOf: AS_OF });
    expect(bars[0]).toEqual({
      date: '2013-02-08',
      open: 67.7142,
      high: 68.4014,
      low: 66.8928,
      close: 67.8542,
      adjClose: 67.8542,
      volume: 158168416,
    });
  });

  it("reads Yahoo's export header (Date,Open,High,Low,Close,Adj Close,Volume)", async () => {
    const rows = await provider('yahoo-format').fetchDaily({ ticker: 'MSFT', to: AS_OF });
    const { bars, rejected } = validatePriceRows(rows, { asOf: AS_OF });
    expect(rejected).toEqual([]);
    expect(bars).toHaveLength(4);
    expect(bars[3]).toEqual({
      date: '2024-01-05',
      open: 368.970001,
      high: 372.059998,
      low: 366.5,
      close: 367.75,
      adjClose: 363.975372,
      volume: 20987000,
    });
  });

  it('reads both real seed files whole, with no defect and their own adjusted close', () => {
    const dir = fs.readdirSync(path.join(DATA, 'seed')).sort();
    expect(dir).toEqual(['AAPL_1980-12-12_2021-11-17_with_seed_sma.csv', 'AAPL_2004-01-02_2010-12-31.csv']);
    const counts = dir.map((file) => {
      const rows = parsePriceCsv(fs.readFileSync(path.join(DATA, 'seed', file), 'utf8'), file);
      const { bars, rejected } = validatePriceRows(rows, { asOf: AS_OF });
      expect(rejected).toEqual([]);
      expect(bars[0].adjClose).toBeLessThan(bars[0].close);
      return bars.length;
    });
    expect(counts).toEqual([10322, 1763]);
  });
});

describe('CsvMarketDataProvider: defects and malformed files', () => {
  it('returns every defect kind for validation to reject, with its reason', async () => {
    const rows = await provider('defects').fetchDaily({ ticker: 'DEF', to: AS_OF });
    const { bars, rejected } = validatePriceRows(rows, { asOf: AS_OF });
    expect(rejected.map((r) => [r.raw.line, r.date, r.reason])).toEqual([
      [3, '2020-01-03', 'open is missing'],
      [4, '2020-01-06', 'high is missing'],
      [5, '2020-01-07', "low 'abc' is not a number"],
      [6, '2020-01-08', 'close 0 is not positive'],
      [7, '2020-01-09', 'open -1 is not positive'],
      [8, '2020-01-10', 'high 10.2 is below max(open, close, low) 11.2'],
      [9, '2020-01-13', 'low 10.6 is above min(open, close, high) 10'],
      [10, '2020-01-14', 'volume is missing'],
      [11, '2020-01-15', 'volume -5 is negative'],
      [13, '2020-01-17', "adjusted close 'oops' is not a number"],
      [15, '2017-13-40', "date '2017-13-40' is not a valid date (expected YYYY-MM-DD)"],
      [16, '01/22/2020', "date '01/22/2020' is not a valid date (expected YYYY-MM-DD)"],
      [17, '2020-01-23', 'date given twice with different values'],
      [18, '2020-01-23', 'date given twice with different values'],
      [21, '2020-01-27', 'close is missing; volume is missing'],
    ]);
    expect(bars.map((b) => [b.date, b.adjClose, b.volume])).toEqual([
      ['2020-01-02', 10.4, 1000],
      ['2020-01-16', 10.4, 0],
      ['2020-01-21', 10.5, 1000],
      ['2020-01-24', 10.4, 1000],
      ['2020-01-28', 10.5, 1000],
    ]);
  });

  it('says which columns a header lacks', async () => {
    await expect(provider('malformed').fetchDaily({ ticker: 'NOVOLUME', to: AS_OF })).rejects.toThrow(
      new MarketDataError(
        `${path.join(FIXTURES, 'malformed', 'NOVOLUME.csv')}: header lacks column volume (found: date, open, high, low, close)`,
      ),
    );
    expect(() => parsePriceCsv('Day,Price\n2020-01-02,1\n', 'x.csv')).toThrow(
      'x.csv: header lacks columns date, open, high, low, close, volume (found: Day, Price)',
    );
  });

  it('refuses an empty file and an unterminated quote', async () => {
    await expect(provider('malformed').fetchDaily({ ticker: 'EMPTY', to: AS_OF })).rejects.toThrow(
      /EMPTY\.csv is empty: expected a header with date, open/,
    );
    const error = await provider('malformed')
      .fetchDaily({ ticker: 'OPENQUOTE', to: AS_OF })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MarketDataError);
    expect((error as Error).message).toMatch(/OPENQUOTE\.csv: unterminated quoted field starting on line 2$/);
  });
});

describe('CsvMarketDataProvider: files, tickers and errors', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-provider-'));
    fs.copyFileSync(path.join(FIXTURES, 'yahoo-format', 'MSFT.csv'), path.join(tmp, 'ibm.csv'));
    fs.mkdirSync(path.join(tmp, 'BROKEN.csv'));
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'not a price file');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('filters by [from, to] but always returns rows whose date does not parse', async () => {
    const rows = await provider('defects').fetchDaily({ ticker: 'DEF', from: '2020-01-23', to: '2020-01-24' });
    expect(rows.map((r) => r.date)).toEqual([
      '2017-13-40',
      '01/22/2020',
      '2020-01-23',
      '2020-01-23',
      '2020-01-24',
      '2020-01-24',
    ]);
  });

  it('lists tickers from file names, upper-case and sorted, and finds a lower-case file', async () => {
    const p = new CsvMarketDataProvider(tmp);
    await expect(p.listTickers()).resolves.toEqual(['BROKEN', 'IBM']);
    await expect(p.fetchDaily({ ticker: 'IBM', to: AS_OF })).resolves.toHaveLength(4);
    await expect(new CsvMarketDataProvider(SAMPLE).listTickers()).resolves.toEqual([
      'AAPL',
      'AMZN',
      'JPM',
      'MSFT',
      'XOM',
    ]);
  });

  it('names the ticker and the paths tried when no file exists', async () => {
    const dir = path.join(FIXTURES, 'sp500-format');
    await expect(provider('sp500-format').fetchDaily({ ticker: 'zzz', to: AS_OF })).rejects.toThrow(
      new MarketDataError(
        `no price file for ticker ZZZ in ${dir} (tried ${path.join(dir, 'ZZZ.csv')}, ${path.join(dir, 'ZZZ_data.csv')})`,
      ),
    );
  });

  it('reports a missing directory, an unreadable file and a ticker that could escape the directory', async () => {
    const missing = new CsvMarketDataProvider(path.join(tmp, 'nope'));
    await expect(missing.fetchDaily({ ticker: 'AAPL', to: AS_OF })).rejects.toThrow(
      /market-data directory .*nope does not exist or cannot be read: ENOENT/,
    );
    await expect(missing.listTickers()).rejects.toThrow(/market-data directory .*nope cannot be read: ENOENT/);
    await expect(new CsvMarketDataProvider(tmp).fetchDaily({ ticker: 'BROKEN', to: AS_OF })).rejects.toThrow(
      /cannot read price file .*BROKEN\.csv: EISDIR/,
    );
    for (const ticker of ['../sp500-format/AAPL', '..', 'A/B', 'A\\B', '', 'AAPL\0']) {
      await expect(provider('sp500-format').fetchDaily({ ticker, to: AS_OF })).rejects.toThrow(MarketDataError);
    }
  });

  it('is what the factory builds for csv', () => {
    const p = createMarketDataProvider('csv', { csvDir: SAMPLE });
    expect(p).toBeInstanceOf(CsvMarketDataProvider);
    expect(p.name).toBe('csv');
  });
});

describe('parseCsv', () => {
  it('handles quoted commas, escaped quotes, line breaks inside quotes, a BOM, blank lines and a trailing empty field', () => {
    expect(parseCsv('\uFEFFa,"b ""c"", d",e\r\n\r\n"x\ny",2,\n3')).toEqual([
      { fields: ['a', 'b "c", d', 'e'], line: 1 },
      { fields: ['x\ny', '2', ''], line: 3 },
      { fields: ['3'], line: 5 },
    ]);
  });

  it('keeps a short row short instead of merging it with the next', () => {
    expect(parseCsv('a,b,c\n1\n2,3,4\n').map((r) => r.fields)).toEqual([['a', 'b', 'c'], ['1'], ['2', '3', '4']]);
  });
});

describe('every S&P 500 file', () => {
  const dir = path.join(DATA, 'sp500_5yr');

  it('reads all 505 files (619,040 rows) and rejects exactly the defective rows', async () => {
    const p = new CsvMarketDataProvider(dir);
    const tickers = await p.listTickers();
    expect(tickers).toHaveLength(505);
    expect(tickers).toEqual(expect.arrayContaining(['BF.B', 'BRK.B']));
    let rows = 0;
    let bars = 0;
    const rejected: string[] = [];
    for (const ticker of tickers) {
      const raw = await p.fetchDaily({ ticker, to: AS_OF });
      rows += raw.length;
      const result = validatePriceRows(raw, { asOf: AS_OF });
      bars += result.bars.length;
      for (const r of result.rejected) rejected.push(`${ticker} ${r.date}: ${r.reason}`);
    }
    expect(rows).toBe(619_040);
    expect(rejected).toEqual([
      'AOS 2014-05-19: high 23.595 is below max(open, close, low) 24.445; low 23.85 is above min(open, close, high) 23.595',
      'BBY 2016-03-14: low 33.08 is above min(open, close, high) 32.72',
      'BHF 2017-07-26: open is missing; high is missing; low is missing',
      'CHD 2014-05-19: low 33.695 is above min(open, close, high) 18.77',
      'CHK 2014-06-30: low 30.37 is above min(open, close, high) 29.39',
      'DHR 2014-11-06: low 80.49 is above min(open, close, high) 78.47',
      'DHR 2015-07-17: open is missing',
      'DHR 2016-01-12: open is missing; high is missing; low is missing',
      'ES 2015-07-17: open is missing',
      'FTV 2016-07-01: open is missing; high is missing; low is missing',
      'IP 2014-07-01: low 50.57 is above min(open, close, high) 50.09',
      'LNT 2016-05-19: low 35.085 is above min(open, close, high) 17.87',
      'O 2014-08-27: low 44.66 is above min(open, close, high) 44.5272',
      'O 2014-11-06: low 46.73 is above min(open, close, high) 44.74',
      'O 2015-07-17: open is missing',
      'O 2016-01-12: open is missing; high is missing; low is missing',
      'REGN 2015-06-09: open is missing; high is missing; low is missing',
      'SPG 2014-05-28: low 174.5 is above min(open, close, high) 165.42',
      'UA 2016-04-07: open is missing; high is missing; low is missing',
      'UA 2016-06-10: low 35.7 is above min(open, close, high) 35.54',
      'VRTX 2015-05-12: open is missing; high is missing; low is missing',
      'WRK 2015-06-26: open is missing; high is missing; low is missing',
      'WRK 2016-05-13: low 41.82 is above min(open, close, high) 38.39',
    ]);
    expect(bars).toBe(619_040 - 23);
  });

  it('the bundled sample (AAPL, MSFT, AMZN, JPM, XOM) is those files unchanged, with no defect', async () => {
    const sample = new CsvMarketDataProvider(SAMPLE);
    for (const ticker of await sample.listTickers()) {
      expect(fs.readFileSync(path.join(SAMPLE, `${ticker}_data.csv`), 'utf8')).toBe(
        fs.readFileSync(path.join(dir, `${ticker}_data.csv`), 'utf8'),
      );
      const { bars, rejected } = validatePriceRows(await sample.fetchDaily({ ticker, to: AS_OF }), { asOf: AS_OF });
      expect(rejected).toEqual([]);
      expect(bars).toHaveLength(1259);
    }
  });
});

describe('CsvMarketDataProvider: a day reads the end of a long file, not the whole of it', () => {
  let tmp: string;
  /** 40 years of weekdays, oldest first, as the S&P files are written. */
  const dates: string[] = [];
  for (let day = Date.UTC(1985, 0, 2); dates.length < 10_400; day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) dates.push(new Date(day).toISOString().slice(0, 10));
  }
  // As long as an S&P file's lines: prices to 4 places, volumes in millions.
  const line = (date: string, i: number, close = 10 + (i % 50) + 0.1234) =>
    `${date},${close.toFixed(4)},${(close + 1).toFixed(4)},${(close - 1).toFixed(4)},${close.toFixed(4)},${2_000_000 + i},LONG`;
  const header = 'date,open,high,low,close,volume,Name';
  const file = () => path.join(tmp, 'LONG_data.csv');
  const last = dates[dates.length - 1];
  const from = dates[dates.length - 8];

  /** Bytes read from files while `run` runs (every read of the provider goes through a file handle). */
  async function bytesReadBy<T>(run: () => Promise<T>): Promise<{ result: T; bytes: number }> {
    let bytes = 0;
    const realOpen = fsPromises.open;
    const spy = jest.spyOn(fsPromises, 'open').mockImplementation(async (...args) => {
      const handle = await realOpen(...args);
      const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
      const readFile = handle.readFile.bind(handle) as (...a: unknown[]) => Promise<string | Buffer>;
      Object.assign(handle, {
        read: async (...a: unknown[]) => {
          const out = await read(...a);
          bytes += out.bytesRead;
          return out;
        },
        readFile: async (...a: unknown[]) => {
          const out = await readFile(...a);
          bytes += Buffer.byteLength(out);
          return out;
        },
      });
      return handle;
    });
    try {
      return { result: await run(), bytes };
    } finally {
      spy.mockRestore();
    }
  }

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-tail-'));
    fs.writeFileSync(file(), [header, ...dates.map((d, i) => line(d, i))].join('\n') + '\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a known ticker’s next days from the end of a 40-year file: far less than the file, the same rows', async () => {
    const p = new CsvMarketDataProvider(tmp);
    const size = fs.statSync(file()).size;
    expect(size).toBeGreaterThan(2 * WHOLE_FILE_BYTES);
    const whole = await bytesReadBy(() => p.fetchDaily({ ticker: 'LONG', to: last }));
    const day = await bytesReadBy(() => p.fetchDaily({ ticker: 'LONG', from, to: last }));
    expect(whole.bytes).toBe(size);
    expect(day.bytes).toBeLessThan(size / 20);
    expect(day.result.map((r) => r.date)).toEqual(dates.slice(-8));
    expect(day.result[day.result.length - 1]).toEqual({ ...whole.result[whole.result.length - 1], line: undefined });
  });

  it('reads a rewritten file as it is now (no remembered offset to go wrong)', async () => {
    const p = new CsvMarketDataProvider(tmp);
    await p.fetchDaily({ ticker: 'LONG', from, to: last });
    // The provider rewrote its history (a split): every close is different, and the file shorter.
    const kept = dates.slice(0, -3);
    fs.writeFileSync(file(), [header, ...kept.map((d, i) => line(d, i, 5.5))].join('\n') + '\n');
    const rows = await p.fetchDaily({ ticker: 'LONG', from, to: last });
    expect(rows.map((r) => [r.date, r.close])).toEqual(dates.slice(-8, -3).map((d) => [d, '5.5000']));
  });

  it('reads a newest-first file whole, with the same rows as an oldest-first one', async () => {
    fs.writeFileSync(file(), [header, ...dates.map((d, i) => line(d, i)).reverse()].join('\n') + '\n');
    const p = new CsvMarketDataProvider(tmp);
    const { result, bytes } = await bytesReadBy(() => p.fetchDaily({ ticker: 'LONG', from, to: last }));
    expect(result.map((r) => r.date).sort()).toEqual(dates.slice(-8));
    expect(bytes).toBeGreaterThanOrEqual(fs.statSync(file()).size);
  });

  it('reads the whole file, with its line numbers, when the days asked for go back to its start', async () => {
    const p = new CsvMarketDataProvider(tmp);
    const rows = await p.fetchDaily({ ticker: 'LONG', from: '1980-01-01', to: last });
    expect(rows).toHaveLength(dates.length);
    expect(rows[0]).toMatchObject({ date: dates[0], line: 2 });
  });

  it('still names the broken line of a file whose tail does not parse', async () => {
    fs.appendFileSync(file(), `${last.replace('-', '/')},"1,2,3,4,5,X\n`);
    const p = new CsvMarketDataProvider(tmp);
    await expect(p.fetchDaily({ ticker: 'LONG', from, to: last })).rejects.toThrow(
      new RegExp(`LONG_data\\.csv: unterminated quoted field starting on line ${dates.length + 2}`),
    );
  });
});
