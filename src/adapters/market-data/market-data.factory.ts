import type { MarketDataProviderName } from '../../domain/market-data';
import type { MarketDataProvider } from '../../domain/ports';
import { AlphaVantageMarketDataProvider } from './alpha-vantage-market-data.provider';
import { CsvMarketDataProvider } from './csv-market-data.provider';
import { RateLimitedMarketDataProvider } from './rate-limited.provider';
import { YahooMarketDataProvider } from './yahoo-market-data.provider';

export type { MarketDataProviderName } from '../../domain/market-data';

/** What the providers need: the CSV directory, and optionally the fetch the HTTP providers should use (tests replay recordings). */
export interface MarketDataProviderOptions {
  csvDir: string;
  fetch?: typeof fetch;
  yahoo?: { baseUrl?: string; requestsPerMinute?: number };
  alphaVantage?: { apiKey?: string; baseUrl?: string; requestsPerMinute?: number };
}

/**
 * Builds the market-data provider named `name`. HTTP providers given a
 * `requestsPerMinute` come wrapped in their rate limiter: build each once per
 * process (the worker caches them) so that every batch shares it.
 */
export function createMarketDataProvider(
  name: MarketDataProviderName,
  options: MarketDataProviderOptions,
): MarketDataProvider {
  switch (name) {
    case 'csv':
      return new CsvMarketDataProvider(options.csvDir);
    case 'yahoo':
      return limited(
        new YahooMarketDataProvider({ fetch: options.fetch, baseUrl: options.yahoo?.baseUrl }),
        options.yahoo?.requestsPerMinute,
      );
    case 'alphavantage':
      return limited(
        new AlphaVantageMarketDataProvider({
          apiKey: options.alphaVantage?.apiKey ?? '',
          baseUrl: options.alphaVantage?.baseUrl,
          fetch: options.fetch,
        }),
        options.alphaVantage?.requestsPerMinute,
      );
    default: {
      const unknown: never = name;
      throw new Error(`unknown market-data provider '${String(unknown)}' (expected csv, yahoo or alphavantage)`);
    }
  }
}

function limited(provider: MarketDataProvider, requestsPerMinute: number | undefined): MarketDataProvider {
  return requestsPerMinute === undefined ? provider : new RateLimitedMarketDataProvider(provider, requestsPerMinute);
}
