import { isIsoDate, type IsoDate } from './dates';
import { BadInputError } from './errors';
import { isMarketDataProviderName, MARKET_DATA_PROVIDERS, type MarketDataProviderName } from './market-data';
import { isTickerSymbol } from './ticker-symbol';

/**
 * A request for a daily run, also the input of `dailyRunWorkflow`. Every field
 * is optional (the Schedule passes `{}`); what it leaves out the run takes from
 * the worker's configuration (the `runDefaults` activity), whoever started it.
 */
export interface DailyRunRequest {
  /** The trading day to run for; default: the scheduled day (or today) in New York. */
  date?: IsoDate;
  /** Override the tracked tickers for this run. */
  tickers?: string[];
  provider?: MarketDataProviderName;
  /** Failover order of providers (see `IngestPricesInput.providers`). */
  providers?: MarketDataProviderName[];
  csvDir?: string;
  /** Subscribers per email activity (default: `mail.batchSize`). */
  emailBatchSize?: number;
  /** Ticker batch size of ingestion and evaluation (default: `ingestion.batchSize`). */
  batchSize?: number;
}

/**
 * The one rule of a daily-run request, for the workflow, the API and the CLI
 * alike: why `request` can never run, or null. `date` is the run's date when
 * the workflow has resolved it (the request may leave it out).
 */
export function dailyRunRequestProblem(
  request: DailyRunRequest,
  date: string | undefined = request?.date,
): string | null {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 'the input must be an object';
  if (date !== undefined && !isIsoDate(date)) return `date "${date}" is not a valid YYYY-MM-DD date`;
  for (const name of [
    ...(request.provider !== undefined ? [request.provider] : []),
    ...(Array.isArray(request.providers) ? request.providers : []),
  ]) {
    if (!isMarketDataProviderName(name))
      return `provider "${String(name)}" is not one of ${MARKET_DATA_PROVIDERS.join(', ')}`;
  }
  if (request.providers !== undefined && (!Array.isArray(request.providers) || request.providers.length === 0)) {
    return 'providers must be a non-empty list';
  }
  if (
    request.tickers !== undefined &&
    (!Array.isArray(request.tickers) || request.tickers.some((t) => typeof t !== 'string' || !isTickerSymbol(t)))
  ) {
    return 'tickers must be a list of symbols';
  }
  for (const key of ['batchSize', 'emailBatchSize'] as const) {
    const value = request[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) return `${key} must be a positive integer`;
  }
  return null;
}

/** `request` if it can run, else a {@link BadInputError} saying why (before anything is started). */
export function validateDailyRunRequest(request: DailyRunRequest): DailyRunRequest {
  const problem = dailyRunRequestProblem(request);
  if (problem) throw new BadInputError(problem);
  return request;
}
