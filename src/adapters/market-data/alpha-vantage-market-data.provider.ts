import type { RawPriceRow } from '../../domain/bar';
import { addDays, type IsoDate } from '../../domain/dates';
import { MarketDataError, TransientError } from '../../domain/errors';
import type { MarketDataProvider } from '../../domain/ports';
import { sanitizeTicker } from './csv-market-data.provider';

/** What the Alpha Vantage provider needs. */
export interface AlphaVantageMarketDataProviderOptions {
  /** The API key (config `marketData.alphaVantage.apiKey`). */
  apiKey: string;
  /** Origin of the API (default https://www.alphavantage.co); tests point it at a local server. */
  baseUrl?: string;
  /** The fetch to call the API with (default: the global fetch). */
  fetch?: typeof fetch;
  /** Give up on a request after this long (a hung connection is a transient failure). Default 30 s. */
  timeoutMs?: number;
}

export const ALPHA_VANTAGE_BASE_URL = 'https://www.alphavantage.co';

/** `outputsize=compact` holds the latest 100 trading days; ask for `full` when the gap may be longer. */
const COMPACT_CALENDAR_DAYS = 120;

/** Texts of an `Information` / `Note` answer that mean "slow down", not "this will never work". */
const RATE_LIMIT_TEXT =
  /rate limit|call frequency|requests per (day|minute)|calls per (day|minute)|spread out|higher API call/i;

/** The fields of one day of `Time Series (Daily)`. */
interface AlphaVantageDay {
  '1. open'?: string;
  '2. high'?: string;
  '3. low'?: string;
  '4. close'?: string;
  '5. adjusted close'?: string;
  '6. volume'?: string;
  '7. dividend amount'?: string;
  '8. split coefficient'?: string;
}

/**
 * Daily bars from Alpha Vantage's documented `TIME_SERIES_DAILY_ADJUSTED`
 * endpoint (JSON): raw open/high/low/close/volume, the split- and
 * dividend-adjusted close, and the day's dividend and split coefficient.
 *
 * Alpha Vantage answers most failures with HTTP 200 and a JSON body, so the
 * body decides: `{"Error Message"}` (unknown symbol, bad call) is a
 * {@link MarketDataError}; `{"Note"}` / `{"Information"}` about call frequency
 * or the daily quota is a {@link TransientError} (the next provider serves the
 * ticker); any other `Information` (premium endpoint, missing key) is a
 * {@link MarketDataError}. Network failures, timeouts, 429 and 5xx are
 * transient; an empty, HTML or otherwise malformed body is a MarketDataError.
 */
export class AlphaVantageMarketDataProvider implements MarketDataProvider {
  readonly name = 'alphavantage';
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: AlphaVantageMarketDataProviderOptions) {
    this.baseUrl = (options.baseUrl ?? ALPHA_VANTAGE_BASE_URL).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async fetchDaily(request: { ticker: string; from?: IsoDate; to: IsoDate }): Promise<RawPriceRow[]> {
    const ticker = sanitizeTicker(request.ticker);
    if (request.from !== undefined && request.from > request.to) return [];
    if (!this.options.apiKey) {
      throw new MarketDataError(
        `Alpha Vantage needs an API key: set marketData.alphaVantage.apiKey (or ALPHA_VANTAGE_API_KEY)`,
      );
    }
    const compact = request.from !== undefined && addDays(request.from, COMPACT_CALENDAR_DAYS) > todayUtc();
    const url = new URL('/query', this.baseUrl);
    url.searchParams.set('function', 'TIME_SERIES_DAILY_ADJUSTED');
    url.searchParams.set('symbol', ticker);
    url.searchParams.set('outputsize', compact ? 'compact' : 'full');
    url.searchParams.set('datatype', 'json');
    url.searchParams.set('apikey', this.options.apiKey);

    const { status, body } = await this.get(url, ticker);
    if (status === 429 || status >= 500) {
      throw new TransientError(`Alpha Vantage is unavailable for ${ticker} (HTTP ${status}): ${snippet(body)}`);
    }
    if (status >= 400)
      throw new MarketDataError(`Alpha Vantage refused the request for ${ticker} (HTTP ${status}): ${snippet(body)}`);
    const series = parseSeries(ticker, body);
    const rows: RawPriceRow[] = [];
    for (const date of Object.keys(series).sort()) {
      if ((request.from !== undefined && date < request.from) || date > request.to) continue;
      const day = series[date];
      if (typeof day !== 'object' || day === null) {
        throw new MarketDataError(
          `Alpha Vantage returned a malformed series for ${ticker}: day ${date} is not an object`,
        );
      }
      rows.push({
        date,
        open: day['1. open'],
        high: day['2. high'],
        low: day['3. low'],
        close: day['4. close'],
        adjClose: day['5. adjusted close'],
        volume: day['6. volume'],
        // The corporate-action columns, as the csv provider passes Alpha Vantage's `dividend_amount` and `split_coefficient`.
        ...(day['7. dividend amount'] !== undefined ? { dividend: day['7. dividend amount'] } : {}),
        ...(day['8. split coefficient'] !== undefined ? { splitCoefficient: day['8. split coefficient'] } : {}),
      });
    }
    return rows;
  }

  private async get(url: URL, ticker: string): Promise<{ status: number; body: string }> {
    try {
      const response = await this.fetchImpl(url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      // Not `instanceof Error`: fetch's errors may come from another realm (undici under jest).
      const e = error as { name?: unknown; message?: unknown };
      const reason =
        e?.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : typeof e?.message === 'string'
            ? e.message
            : String(error);
      throw new TransientError(`network error fetching ${ticker} from Alpha Vantage: ${reason}`);
    }
  }
}

/** The `Time Series (Daily)` object of a 200 answer, or the error its body stands for. */
function parseSeries(ticker: string, body: string): Record<string, AlphaVantageDay> {
  const text = body.trim();
  if (text === '') throw new MarketDataError(`Alpha Vantage returned an empty response for ${ticker}`);
  if (text.startsWith('<'))
    throw new MarketDataError(`Alpha Vantage returned HTML instead of data for ${ticker}: ${snippet(text)}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MarketDataError(`Alpha Vantage returned a body that is not JSON for ${ticker}: ${snippet(text)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MarketDataError(`Alpha Vantage returned a malformed response for ${ticker}: ${snippet(text)}`);
  }
  const doc = json as Record<string, unknown>;
  if (typeof doc['Error Message'] === 'string') {
    throw new MarketDataError(`unknown ticker ${ticker}: Alpha Vantage answered "${doc['Error Message']}"`);
  }
  for (const key of ['Note', 'Information']) {
    const message = doc[key];
    if (typeof message !== 'string') continue;
    if (RATE_LIMIT_TEXT.test(message)) throw new TransientError(`Alpha Vantage rate limit for ${ticker}: ${message}`);
    throw new MarketDataError(`Alpha Vantage refused the request for ${ticker}: ${message}`);
  }
  const series = doc['Time Series (Daily)'];
  if (typeof series !== 'object' || series === null || Array.isArray(series)) {
    throw new MarketDataError(
      `Alpha Vantage returned a malformed response for ${ticker}: no "Time Series (Daily)" (keys: ${Object.keys(doc).join(', ') || 'none'})`,
    );
  }
  return series as Record<string, AlphaVantageDay>;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}...` : flat || '(empty body)';
}

function todayUtc(): IsoDate {
  return new Date().toISOString().slice(0, 10) as IsoDate;
}
