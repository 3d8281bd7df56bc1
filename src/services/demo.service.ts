import { isTradingDay } from '../domain/calendar';
import type { IsoDate } from '../domain/dates';
import { enrichBars } from '../domain/indicators';
import type { MarketDataProvider } from '../domain/ports';
import { validatePriceRows } from '../domain/price-validation';
import { runStrategy } from '../domain/strategies';
import { configuredStrategies, type StrategiesConfig } from '../domain/strategies/configured-strategies';

/**
 * The latest trading day of a bundled sample on which some configured
 * strategy says BUY or SELL for some ticker: a day whose run sends email
 * (`algo demo` runs the daily job for it).
 */
export async function latestSignalDay(deps: {
  provider: MarketDataProvider;
  tickers: readonly string[];
  strategies: StrategiesConfig;
}): Promise<IsoDate> {
  let best = '';
  for (const ticker of deps.tickers) {
    const rows = await deps.provider.fetchDaily({ ticker, to: '9999-12-31' });
    const { bars } = validatePriceRows(rows, { asOf: '9999-12-31' });
    const enriched = enrichBars(bars, []);
    for (const plan of configuredStrategies(deps.strategies, ticker)) {
      const { records } = runStrategy(plan.name, plan.params, enriched);
      const last = records.filter((r) => r.signal === 'BUY' || r.signal === 'SELL').pop();
      if (last && last.date > best && isTradingDay(last.date)) best = last.date;
    }
  }
  if (!best) throw new Error(`no BUY or SELL signal in the data of provider ${deps.provider.name}`);
  return best;
}
