import fs from 'node:fs';
import path from 'node:path';
import { isIsoDate, isoDateInZone, type IsoDate } from '../domain/dates';
import { BadInputError } from '../domain/errors';
import { parseTickerSymbol } from '../domain/ticker-symbol';
import { isMarketDataProviderName, MARKET_DATA_PROVIDERS, type MarketDataProviderName } from '../domain/market-data';

/** Validate a YYYY-MM-DD option; the error names the option. */
export function isoDateOption(option: string, value: string | undefined): IsoDate | undefined {
  if (value === undefined) return undefined;
  if (!isIsoDate(value)) throw new BadInputError(`${option}: "${value}" is not a valid date (expected YYYY-MM-DD)`);
  return value;
}

/** A ticker symbol, upper-cased; the error names the option. */
export function tickerOption(option: string, value: string): string {
  return parseTickerSymbol(value, option);
}

/** A comma-separated ticker list (`A,B,C`), upper-cased and de-duplicated. */
export function tickerListOption(option: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const tickers = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => tickerOption(option, t));
  if (tickers.length === 0) throw new BadInputError(`${option}: give at least one ticker`);
  return [...new Set(tickers)];
}

/** A positive integer option. */
export function positiveIntOption(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BadInputError(`${option}: "${value}" is not a positive integer`);
  return n;
}

/** Today's date on the exchange's clock (the market closes in New York). */
export function todayInNewYork(): IsoDate {
  return isoDateInZone(Date.now(), 'America/New_York');
}

/**
 * `--provider` (one name or a failover order `yahoo,alphavantage`) and
 * `--dir`, over the configured ones (`marketData.providers`, else
 * `marketData.provider`); the directory must exist when csv is in the order.
 */
export function marketDataOptions(
  configured: { provider: MarketDataProviderName; providers?: MarketDataProviderName[]; csvDir: string },
  opts: { provider?: string; dir?: string },
): { provider: MarketDataProviderName; providers?: MarketDataProviderName[]; csvDir?: string } {
  const names =
    opts.provider !== undefined
      ? opts.provider.split(',').map((p) => p.trim())
      : (configured.providers ?? [configured.provider]);
  const order: MarketDataProviderName[] = [];
  for (const name of names) {
    if (!isMarketDataProviderName(name))
      throw new BadInputError(`--provider: "${name}" is not a provider (${MARKET_DATA_PROVIDERS.join(', ')})`);
    if (!order.includes(name)) order.push(name);
  }
  if (order.length === 0) throw new BadInputError('--provider: name at least one provider');
  const [provider] = order;
  const chain = order.length > 1 ? { providers: order } : {};
  if (!order.includes('csv')) {
    if (opts.dir) throw new BadInputError('--dir only applies to the csv provider');
    return { provider, ...chain };
  }
  const csvDir = path.resolve(opts.dir ?? configured.csvDir);
  if (!fs.existsSync(csvDir) || !fs.statSync(csvDir).isDirectory())
    throw new BadInputError(`--dir: directory not found: ${csvDir}`);
  return { provider, ...chain, csvDir };
}
