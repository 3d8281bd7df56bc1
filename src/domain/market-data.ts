/** The market-data providers selectable by config or `--provider`. */
export const MARKET_DATA_PROVIDERS = ['csv', 'yahoo', 'alphavantage'] as const;

export type MarketDataProviderName = (typeof MARKET_DATA_PROVIDERS)[number];

export function isMarketDataProviderName(name: string): name is MarketDataProviderName {
  return (MARKET_DATA_PROVIDERS as readonly string[]).includes(name);
}

/** A provider that was tried for a ticker and did not serve it, with why. */
export interface ProviderAttempt {
  provider: string;
  error: string;
}
