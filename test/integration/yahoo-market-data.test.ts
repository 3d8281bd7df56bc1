import fs from 'node:fs';
import path from 'node:path';
import { createMarketDataProvider } from '../../src/adapters/market-data/market-data.factory';
import { YahooMarketDataProvider } from '../../src/adapters/market-data/yahoo-market-data.provider';
import { MarketDataError, TransientError } from '../../src/domain/errors';
import { validatePriceRows } from '../../src/domain/price-validation';

/** Responses recorded in the shape of Yahoo's v8 chart API (there is no internet here). */
const RECORDINGS = path.resolve(__dirname, '../fixtures/market-data/yahoo');

interface Replay {
  fetch: typeof fetch;
  requests: URL[];
}

/** A fetch that answers every request with one recorded body and status, and remembers the URLs asked for. */
function replay(body: string, status = 200, contentType = 'application/json'): Replay {
  const requests: URL[] = [];
  const fetchImpl = (async (input: Parameters<typeof fetch>[0]) => {
    requests.push(new URL(input instanceof Request ? input.url : String(input)));
    return new Response(body, { status, headers: { 'content-type': contentType } });
  }) as typeof fetch;
  return { fetch: fetchImpl, requests };
}

const recording = (name: string): string => fs.readFileSync(path.join(RECORDINGS, name), 'utf8');

describe('YahooMarketDataProvider through yahoo-finance2 with recorded responses', () => {
  // yahoo-finance2 prints the URL of a failed HTTP request with console.error; keep test output clean.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => {}));
  afterEach(() => jest.restoreAllMocks());

  it('maps a daily chart to raw rows on the exchange-local date, within [from, to]', async () => {
    const { fetch, requests } = replay(recording('aapl-2024-01-02-to-05.json'));
    const provider = new YahooMarketDataProvider({ fetch });
    const rows = await provider.fetchDaily({ ticker: 'aapl', from: '2024-01-02', to: '2024-01-04' });

    expect(requests).toHaveLength(1);
    const url = requests[0];
    expect(url.pathname).toBe('/v8/finance/chart/AAPL');
    expect(url.searchParams.get('interval')).toBe('1d');
    expect(url.searchParams.get('period1')).toBe(String(Date.parse('2024-01-02T00:00:00Z') / 1000));
    expect(url.searchParams.get('period2')).toBe(String(Date.parse('2024-01-05T00:00:00Z') / 1000));

    // The recording also holds 2024-01-05: outside [from, to], it is left out.
    expect(rows).toEqual([
      {
        date: '2024-01-02',
        open: 187.14999389648438,
        high: 188.44000244140625,
        low: 183.88999938964844,
        close: 185.63999938964844,
        adjClose: 184.73497009277344,
        volume: 82488700,
      },
      {
        date: '2024-01-03',
        open: 184.22000122070312,
        high: 185.8800048828125,
        low: 183.42999267578125,
        close: 184.25,
        adjClose: 183.35171508789062,
        volume: 58414500,
      },
      {
        date: '2024-01-04',
        open: 182.14999389648438,
        high: 183.08999633789062,
        low: 180.8800048828125,
        close: 181.91000366210938,
        adjClose: 181.02328491210938,
        volume: 71983600,
      },
    ]);
    expect(validatePriceRows(rows, { asOf: '2024-01-04' }).rejected).toEqual([]);
  });

  it('asks for the whole history when there is no `from`', async () => {
    const { fetch, requests } = replay(recording('aapl-2024-01-02-to-05.json'));
    const rows = await new YahooMarketDataProvider({ fetch }).fetchDaily({ ticker: 'AAPL', to: '2024-01-31' });
    expect(Number(requests[0].searchParams.get('period1'))).toBeLessThan(0);
    expect(rows.map((r) => r.date)).toEqual(['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
  });

  it('returns no rows for an empty chart (a range without trading days)', async () => {
    const { fetch } = replay(recording('aapl-empty-range.json'));
    await expect(
      new YahooMarketDataProvider({ fetch }).fetchDaily({ ticker: 'AAPL', from: '2024-01-06', to: '2024-01-07' }),
    ).resolves.toEqual([]);
  });

  it('asks nothing when the range is empty (an up-to-date ticker: from = last stored + 1 > to)', async () => {
    const { fetch, requests } = replay(recording('aapl-2024-01-02-to-05.json'));
    await expect(
      new YahooMarketDataProvider({ fetch }).fetchDaily({ ticker: 'AAPL', from: '2024-01-05', to: '2024-01-04' }),
    ).resolves.toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it('turns Yahoo\'s 404 "No data found" into a MarketDataError naming the ticker', async () => {
    const { fetch } = replay(recording('unknown-symbol-404.json'), 404);
    const error = await new YahooMarketDataProvider({ fetch })
      .fetchDaily({ ticker: 'NOSUCH', to: '2024-01-04' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MarketDataError);
    expect((error as Error).message).toBe(
      'unknown ticker NOSUCH: Yahoo Finance has no data for it (HTTP 404: No data found, symbol may be delisted)',
    );
  });

  it('treats rate limits, server errors and network failures as transient', async () => {
    const cases: Array<[Replay['fetch'], RegExp]> = [
      [
        replay('Too Many Requests', 429, 'text/plain').fetch,
        /^Yahoo Finance is unavailable for AAPL \(HTTP 429\): Too Many Requests$/,
      ],
      [
        replay(
          JSON.stringify({
            chart: {
              result: null,
              error: { code: 'Internal Server Error', description: 'Service temporarily unavailable' },
            },
          }),
          500,
        ).fetch,
        /^Yahoo Finance is unavailable for AAPL \(HTTP 500\): Service temporarily unavailable$/,
      ],
      [
        replay('<html>Bad Gateway</html>', 502, 'text/html').fetch,
        /^Yahoo Finance is unavailable for AAPL \(HTTP 502\)/,
      ],
      [
        (async () => {
          throw new TypeError('fetch failed');
        }) as typeof fetch,
        /^network error fetching AAPL from Yahoo Finance: fetch failed$/,
      ],
    ];
    for (const [fetchImpl, message] of cases) {
      const error = await new YahooMarketDataProvider({ fetch: fetchImpl })
        .fetchDaily({ ticker: 'AAPL', to: '2024-01-04' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('turns a malformed payload into a MarketDataError, never into rows', async () => {
    const garbage: Array<[string, RegExp]> = [
      [recording('malformed-quotes.json'), /malformed chart for AAPL: Failed Yahoo Schema validation/],
      ['<html>Will be right back</html>', /malformed chart for AAPL: Response.ok where we expect JSON/],
      [JSON.stringify({ finance: { result: [] } }), /malformed chart for AAPL: Unexpected result/],
      [JSON.stringify({ chart: { result: [{ meta: {} }], error: null } }), /malformed chart for AAPL/],
    ];
    for (const [body, message] of garbage) {
      const error = await new YahooMarketDataProvider({ fetch: replay(body).fetch })
        .fetchDaily({ ticker: 'AAPL', to: '2024-01-04' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MarketDataError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('refuses a ticker that is not one before any request', async () => {
    const { fetch, requests } = replay('{}');
    await expect(
      new YahooMarketDataProvider({ fetch }).fetchDaily({ ticker: '../x', to: '2024-01-04' }),
    ).rejects.toThrow(MarketDataError);
    expect(requests).toHaveLength(0);
  });

  it('is what the factory builds for yahoo, with the injected fetch', async () => {
    const { fetch, requests } = replay(recording('aapl-empty-range.json'));
    const provider = createMarketDataProvider('yahoo', { csvDir: 'unused', fetch });
    expect(provider.name).toBe('yahoo');
    await expect(provider.fetchDaily({ ticker: 'AAPL', to: '2024-01-04' })).resolves.toEqual([]);
    expect(requests).toHaveLength(1);
  });
});
