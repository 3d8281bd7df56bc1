import type { MarketDataProvider } from '../../domain/ports';
import { CsvMarketDataProvider } from './csv-market-data.provider';
import { YahooMarketDataProvider } from './yahoo-market-data.provider';

/** The providers selectable by config or `--provider`. */
export type MarketDataProviderName = 'csv' | 'yahoo';

/** What the providers need: the CSV directory, and optionally the fetch Yahoo should use (tests replay recordings). */
export interface MarketDataProviderOptions {
  csvDir: string;
  fetch?: typeof fetch;
}

/** Builds the market-data provider named `name`. */
export function createMarketDataProvider(name: MarketDataProviderName, options: MarketDataProviderOptions): MarketDataProvider {
  switch (name) {
    case 'csv':
      return new CsvMarketDataProvider(options.csvDir);
    case 'yahoo':
      return new YahooMarketDataProvider({ fetch: options.fetch });
    default: {
      const unknown: never = name;
      throw new Error(`unknown market-data provider '${String(unknown)}' (expected csv or yahoo)`);
    }
  }
}
