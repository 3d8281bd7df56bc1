import YahooFinance from 'yahoo-finance2';
import type { RawPriceRow } from '../../domain/bar';
import { addDays, isoDateOfInstant, type IsoDate } from '../../domain/dates';
import { MarketDataError, TransientError } from '../../domain/errors';
import type { MarketDataProvider } from '../../domain/ports';
import { sanitizeTicker } from './csv-market-data.provider';

/** What the Yahoo provider can be given. */
export interface YahooMarketDataProviderOptions {
  /** The fetch to call Yahoo with (default: the global fetch); tests pass one that replays recorded responses. */
  fetch?: typeof fetch;
  /**
   * Origin to send Yahoo's requests to instead of query1/query2.finance.yahoo.com
   * (config `marketData.yahoo.baseUrl`): a caching proxy, or a local server
   * replaying recorded answers in tests.
   */
  baseUrl?: string;
}

/** The earliest start Yahoo accepts for "the whole history". */
const HISTORY_START = '1900-01-01';

/** yahoo-finance2's quiet logger: failures reach the caller as errors, not console noise. */
const quietLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, dir: () => {} };

/** What one request's fetch saw, so a library error can be mapped by its HTTP status. */
interface FetchTrace {
  status?: number;
}

/**
 * Daily bars from Yahoo Finance through `yahoo-finance2`'s `chart()` module
 * (daily OHLCV with adjusted close). Needs internet. An unknown symbol
 * (HTTP 404) or a malformed answer is a {@link MarketDataError}; rate limits
 * (429), server errors (5xx) and network failures are a {@link TransientError}.
 */
export class YahooMarketDataProvider implements MarketDataProvider {
  readonly name = 'yahoo';
  private readonly client: InstanceType<typeof YahooFinance>;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly baseUrl: string | undefined;

  constructor(options: YahooMarketDataProviderOptions = {}) {
    this.fetchImpl = options.fetch;
    this.baseUrl = options.baseUrl?.replace(/\/+$/, '');
    // No version check: it would call the npm registry whenever a payload fails validation.
    this.client = new YahooFinance({
      versionCheck: false,
      logger: quietLogger,
      validation: { logErrors: false, logOptionsErrors: false },
    });
  }

  /** Daily rows of `ticker` dated in [from, to]; without `from`, its whole history. */
  async fetchDaily(request: { ticker: string; from?: IsoDate; to: IsoDate }): Promise<RawPriceRow[]> {
    const ticker = sanitizeTicker(request.ticker);
    // Up to date already (from = last stored + 1 > to): nothing to ask, and Yahoo refuses an empty period.
    if (request.from !== undefined && request.from > request.to) return [];
    const trace: FetchTrace = {};
    const chart = await this.requestChart(ticker, request.from ?? HISTORY_START, addDays(request.to, 1), trace).catch(
      (error: unknown) => {
        throw mapError(ticker, error, trace);
      },
    );
    // The bar's trading day is the exchange's local date, not the UTC one.
    const offsetMs = typeof chart.meta?.gmtoffset === 'number' ? chart.meta.gmtoffset * 1000 : 0;
    if (!Array.isArray(chart.quotes))
      throw new MarketDataError(`Yahoo Finance returned a malformed chart for ${ticker}: no quotes`);
    const rows: RawPriceRow[] = [];
    for (const quote of chart.quotes) {
      const time = quote.date instanceof Date ? quote.date.getTime() : NaN;
      if (Number.isNaN(time))
        throw new MarketDataError(`Yahoo Finance returned a malformed chart for ${ticker}: a quote without a date`);
      const date = isoDateOfInstant(time + offsetMs);
      if ((request.from !== undefined && date < request.from) || date > request.to) continue;
      rows.push({
        date,
        open: quote.open,
        high: quote.high,
        low: quote.low,
        close: quote.close,
        adjClose: quote.adjclose ?? undefined,
        volume: quote.volume,
      });
    }
    return rows;
  }

  private requestChart(ticker: string, period1: IsoDate, period2: IsoDate, trace: FetchTrace) {
    const baseFetch = this.fetchImpl ?? globalThis.fetch;
    const tracingFetch: typeof fetch = async (input, init) => {
      let response: Response;
      try {
        response = await baseFetch(this.rebase(input), init);
      } catch (error) {
        throw new TransientError(`network error fetching ${ticker} from Yahoo Finance: ${errorMessage(error)}`);
      }
      trace.status = response.status;
      return response;
    };
    return this.client.chart(ticker, { period1, period2, interval: '1d' }, { fetch: tracingFetch });
  }

  /** The request's URL on the configured origin (unchanged without one). */
  private rebase(input: Parameters<typeof fetch>[0]): Parameters<typeof fetch>[0] {
    if (!this.baseUrl) return input;
    const url = new URL(input instanceof Request ? input.url : String(input));
    return `${this.baseUrl}${url.pathname}${url.search}`;
  }
}

function mapError(ticker: string, error: unknown, trace: FetchTrace): Error {
  if (error instanceof TransientError || error instanceof MarketDataError) return error;
  const detail = errorMessage(error);
  const status = trace.status;
  if (status === 404)
    return new MarketDataError(`unknown ticker ${ticker}: Yahoo Finance has no data for it (HTTP 404: ${detail})`);
  if (status === 429 || (status !== undefined && status >= 500)) {
    return new TransientError(`Yahoo Finance is unavailable for ${ticker} (HTTP ${status}): ${detail}`);
  }
  if (status !== undefined && status >= 400)
    return new MarketDataError(`Yahoo Finance refused the request for ${ticker} (HTTP ${status}): ${detail}`);
  // No response at all and no network error: a fault of this code, not of the data; surface it unchanged.
  if (status === undefined) return error instanceof Error ? error : new Error(detail);
  return new MarketDataError(`Yahoo Finance returned a malformed chart for ${ticker}: ${detail}`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
