import fs from 'node:fs';
import path from 'node:path';
import { AlphaVantageMarketDataProvider } from '../../src/adapters/market-data/alpha-vantage-market-data.provider';
import { createMarketDataProvider } from '../../src/adapters/market-data/market-data.factory';
import { RateLimitedMarketDataProvider } from '../../src/adapters/market-data/rate-limited.provider';
import { MarketDataError, TransientError } from '../../src/domain/errors';
import { parsePriceCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import { adjustForSplits, type CorporateAction } from '../../src/domain/corporate-actions';
import { validatePriceRows } from '../../src/domain/price-validation';
import { startReplayServer, type ReplayAnswer, type ReplayServer } from '../support/http-replay';

const RECORDINGS = path.resolve(__dirname, '../fixtures/market-data/alphavantage');
const RAW_KO = path.resolve(__dirname, '../../../shared/data/raw_with_splits/KO.csv');
const recording = (name: string): string => fs.readFileSync(path.join(RECORDINGS, name), 'utf8');

describe('AlphaVantageMarketDataProvider against recorded responses on a local HTTP server', () => {
  let server: ReplayServer;
  let answer: ReplayAnswer;

  beforeAll(async () => {
    server = await startReplayServer(() => answer);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  const provider = (apiKey = 'TESTKEY') => new AlphaVantageMarketDataProvider({ apiKey, baseUrl: server.url });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as Error,
    );

  it('maps TIME_SERIES_DAILY_ADJUSTED to raw rows, ascending, within [from, to]', async () => {
    answer = { body: recording('ko-2012-08-01-to-10.json') };
    const rows = await provider().fetchDaily({ ticker: 'ko', from: '2012-08-02', to: '2012-08-09' });

    expect(server.requests).toHaveLength(1);
    const url = server.requests[0];
    expect(url.pathname).toBe('/query');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      function: 'TIME_SERIES_DAILY_ADJUSTED',
      symbol: 'KO',
      outputsize: 'full',
      datatype: 'json',
      apikey: 'TESTKEY',
    });
    expect(rows.map((r) => r.date)).toEqual([
      '2012-08-02',
      '2012-08-03',
      '2012-08-06',
      '2012-08-07',
      '2012-08-08',
      '2012-08-09',
    ]);
    // The values of KO.csv (Alpha Vantage's own output) for 2012-08-02.
    expect(rows[0]).toEqual({
      date: '2012-08-02',
      open: '80.7300',
      high: '81.0000',
      low: '79.5200',
      close: '79.7500',
      adjClose: '30.2511',
      volume: '6696600',
      dividend: '0.0000',
      splitCoefficient: '1.0',
    });
    const { bars, rejected } = validatePriceRows(rows, { asOf: '2012-08-09' });
    expect(rejected).toEqual([]);
    expect(bars[0]).toMatchObject({ close: 79.75, adjClose: 30.2511, volume: 6696600 });
  });

  it('passes the dividend and split columns on: the same bars, splits and dividends as the csv provider reads in KO.csv', async () => {
    const raw = parsePriceCsv(fs.readFileSync(RAW_KO, 'utf8'), 'KO.csv');
    const windows = [
      { file: 'ko-2012-08-01-to-17-split.json', from: '2012-08-01', to: '2012-08-17' },
      { file: 'ko-2012-09-10-to-14-dividend.json', from: '2012-09-10', to: '2012-09-14' },
    ];
    const actions: CorporateAction[] = [];
    for (const { file, from, to } of windows) {
      answer = { body: recording(file) };
      const fromJson = validatePriceRows(await provider().fetchDaily({ ticker: 'KO', from, to }), { asOf: to });
      const fromCsv = validatePriceRows(
        raw.filter((r) => r.date >= from && r.date <= to),
        { asOf: to },
      );
      expect(fromJson.rejected).toEqual([]);
      expect(fromJson.actions).toEqual(fromCsv.actions);
      // Split-adjusted alike: the recording rounds adjusted closes to 4 decimals, the file does not.
      const json = adjustForSplits(fromJson.bars, fromJson.actions);
      const csv = adjustForSplits(fromCsv.bars, fromCsv.actions);
      expect(json.map(({ adjClose: _, ...b }) => b)).toEqual(csv.map(({ adjClose: _, ...b }) => b));
      json.forEach((b, i) => expect(Math.abs(b.adjClose - csv[i].adjClose)).toBeLessThan(5e-5));
      actions.push(...fromJson.actions);
    }
    expect(actions).toEqual([
      { date: '2012-08-13', splitFactor: 2, dividend: 0, spinOff: false },
      { date: '2012-09-12', splitFactor: 1, dividend: 0.255, spinOff: false },
    ]);
  });

  it('asks for the compact output (latest 100 days) for a recent incremental range', async () => {
    answer = { body: recording('empty-series.json') };
    const today = new Date().toISOString().slice(0, 10);
    await provider().fetchDaily({ ticker: 'KO', from: today, to: today });
    expect(server.requests[0].searchParams.get('outputsize')).toBe('compact');
  });

  it('returns no rows for a valid answer without days, and asks nothing for an empty range', async () => {
    answer = { body: recording('empty-series.json') };
    await expect(provider().fetchDaily({ ticker: 'KO', to: '2012-08-10' })).resolves.toEqual([]);
    await expect(provider().fetchDaily({ ticker: 'KO', from: '2012-08-11', to: '2012-08-10' })).resolves.toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('treats both rate-limit answers (HTTP 200 with a Note or Information), 429, 5xx and network failures as transient', async () => {
    const cases: Array<[ReplayAnswer, RegExp]> = [
      [
        { body: recording('rate-limit-per-minute.json') },
        /^Alpha Vantage rate limit for KO: Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute/,
      ],
      [{ body: recording('rate-limit-per-day.json') }, /^Alpha Vantage rate limit for KO: .*25 requests per day/],
      [
        { status: 429, body: 'Too Many Requests', contentType: 'text/plain' },
        /^Alpha Vantage is unavailable for KO \(HTTP 429\): Too Many Requests$/,
      ],
      [
        { status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' },
        /^Alpha Vantage is unavailable for KO \(HTTP 503\)/,
      ],
    ];
    for (const [recorded, message] of cases) {
      answer = recorded;
      const error = await failure(provider().fetchDaily({ ticker: 'KO', to: '2012-08-10' }));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toMatch(message);
    }
    const closed = new AlphaVantageMarketDataProvider({ apiKey: 'K', baseUrl: 'http://127.0.0.1:1' });
    const error = await failure(closed.fetchDaily({ ticker: 'KO', to: '2012-08-10' }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/^network error fetching KO from Alpha Vantage: fetch failed/);
  });

  it('turns error bodies into a MarketDataError with the reason, never into rows', async () => {
    const cases: Array<[ReplayAnswer, RegExp]> = [
      [
        { body: recording('error-invalid-symbol.json') },
        /^unknown ticker NOSUCH: Alpha Vantage answered "Invalid API call\. Please retry/,
      ],
      [
        { body: recording('premium-endpoint.json') },
        /^Alpha Vantage refused the request for NOSUCH: Thank you for using Alpha Vantage! This is a premium endpoint/,
      ],
      [{ body: '' }, /^Alpha Vantage returned an empty response for NOSUCH$/],
      [
        { body: '<!DOCTYPE html><html><body>Maintenance</body></html>', contentType: 'text/html' },
        /^Alpha Vantage returned HTML instead of data for NOSUCH/,
      ],
      [{ body: 'timestamp,open\n2012-08-10,1' }, /^Alpha Vantage returned a body that is not JSON for NOSUCH/],
      [{ body: '{"Meta Data": {}}' }, /no "Time Series \(Daily\)" \(keys: Meta Data\)/],
      [
        { status: 403, body: 'Forbidden', contentType: 'text/plain' },
        /^Alpha Vantage refused the request for NOSUCH \(HTTP 403\): Forbidden$/,
      ],
    ];
    for (const [recorded, message] of cases) {
      answer = recorded;
      const error = await failure(provider().fetchDaily({ ticker: 'NOSUCH', to: '2012-08-10' }));
      expect(error).toBeInstanceOf(MarketDataError);
      expect(error.message).toMatch(message);
    }
  });

  it('needs an API key, and asks nothing without one', async () => {
    const error = await failure(provider('').fetchDaily({ ticker: 'KO', to: '2012-08-10' }));
    expect(error).toBeInstanceOf(MarketDataError);
    expect(error.message).toMatch(/needs an API key: set marketData\.alphaVantage\.apiKey/);
    expect(server.requests).toHaveLength(0);
  });

  it('is what the factory builds for alphavantage, behind a limiter that spaces requests to the configured rate', async () => {
    answer = { body: recording('empty-series.json') };
    const limited = createMarketDataProvider('alphavantage', {
      csvDir: 'unused',
      alphaVantage: { apiKey: 'K', baseUrl: server.url, requestsPerMinute: 300 },
    });
    expect(limited).toBeInstanceOf(RateLimitedMarketDataProvider);
    expect(limited.name).toBe('alphavantage');
    const started = Date.now();
    const stamps: number[] = [];
    await Promise.all(
      ['KO', 'PEP', 'MO', 'PG'].map((ticker) =>
        limited.fetchDaily({ ticker, to: '2012-08-10' }).then(() => stamps.push(Date.now() - started)),
      ),
    );
    // 300 a minute: one request every 200 ms, so the 4th starts at least 600 ms after the first.
    expect(server.requests.map((u) => u.searchParams.get('symbol'))).toEqual(['KO', 'PEP', 'MO', 'PG']);
    expect(Math.max(...stamps)).toBeGreaterThanOrEqual(590);
  });
});
