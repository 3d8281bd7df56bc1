import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { adjustForSplits } from '../domain/corporate-actions';
import { addDays, type IsoDate } from '../domain/dates';
import { BadInputError, MarketDataError, TransientError } from '../domain/errors';
import type { MarketDataProviderName, ProviderAttempt } from '../domain/market-data';
import type { RawPriceRow } from '../domain/bar';
import { ENRICH_LOOKBACK, enrichBars } from '../domain/indicators';
import { validatePriceRows } from '../domain/price-validation';
import { OVERLAP_CALENDAR_DAYS, overlapMismatch } from '../domain/readjustment';
import {
  failedTickerIngestion,
  type IngestionRunRepository,
  type IngestionToSave,
  type MarketDataProvider,
  type PriceRepository,
  type TickerIngestionResult,
} from '../domain/ports';

/** Which market-data source an ingestion reads. */
export interface MarketDataSelection {
  provider: MarketDataProviderName;
  /** Failover order; omitted: `[provider]`. */
  providers?: MarketDataProviderName[];
  /** Directory of CSV files (csv provider); default: the configured one. */
  csvDir?: string;
}

export interface IngestionDependencies {
  prices: PriceRepository;
  runs: IngestionRunRepository;
  /** The provider named by `selection.provider` (the worker builds it from config, once per name, with its rate limiter). */
  marketData(selection: MarketDataSelection): MarketDataProvider;
  /** How often a ticker's activity heartbeats while its fetch waits (rate limiter queue, slow provider); default 5 s. */
  fetchHeartbeatMs?: number;
}

export interface IngestTickerBatchInput extends MarketDataSelection {
  runId: string;
  tickers: string[];
  asOf: IsoDate;
  /** The retry policy's maximum attempts: on the last one, transient failures are reported instead of thrown. */
  maxAttempts: number;
}

/**
 * The ticker's rows from the first provider of the order that serves it. A
 * {@link TransientError} (rate limit, 5xx, network) moves on to the next
 * provider; any other error (unknown ticker, error body) stops there and
 * fails the ticker with that provider's reason: a symbol one source does not
 * know is reported, never silently filled in by another. When every
 * provider failed transiently, a TransientError naming each is thrown
 * (Temporal retries the batch).
 */
export async function fetchWithFailover(
  deps: Pick<IngestionDependencies, 'marketData' | 'fetchHeartbeatMs'>,
  selection: MarketDataSelection,
  request: { ticker: string; from?: IsoDate; to: IsoDate },
  heartbeat: (details: unknown) => void,
): Promise<{ rows: RawPriceRow[]; provider: string; failover: ProviderAttempt[] }> {
  const order = selection.providers ?? [selection.provider];
  const failover: ProviderAttempt[] = [];
  for (const name of order) {
    const provider = deps.marketData({ provider: name, csvDir: selection.csvDir });
    // A fetch may wait behind its provider's rate limiter longer than the heartbeat timeout.
    const beat = setInterval(
      () => heartbeat({ ticker: request.ticker, provider: name }),
      deps.fetchHeartbeatMs ?? 5000,
    );
    try {
      return { rows: await provider.fetchDaily(request), provider: provider.name, failover };
    } catch (err) {
      if (!(err instanceof TransientError)) {
        if (failover.length === 0 || !(err instanceof BadInputError)) throw err;
        throw new MarketDataError(`${provider.name}: ${err.message} (after ${describeAttempts(failover)})`);
      }
      failover.push({ provider: provider.name, error: err.message });
    } finally {
      clearInterval(beat);
    }
  }
  throw new ProvidersUnavailableError(failover);
}

/** Ingestion activities; they return summaries, never price arrays. */
export function createIngestionActivities(deps: IngestionDependencies) {
  /**
   * Fetch (with failover), validate, split-adjust and enrich one ticker: what
   * is to be stored (bars, rejections, splits and dividends, the provider that
   * served it). Bars are back-adjusted for the splits among the fetched days;
   * a split after the stored history comes back in the result's `newSplits`.
   */
  async function prepareTicker(
    selection: MarketDataSelection,
    runId: string,
    ticker: string,
    asOf: IsoDate,
    last: IsoDate | undefined,
    heartbeat: (details: unknown) => void,
  ): Promise<IngestionToSave> {
    // A stored ticker's last days are fetched again, to notice a provider that rewrote its history.
    const overlapAfter = last ? addDays(last, -OVERLAP_CALENDAR_DAYS) : undefined;
    const from = overlapAfter ? addDays(overlapAfter, 1) : undefined;
    const fetched = await fetchWithFailover(deps, selection, { ticker, from, to: asOf }, heartbeat);
    const history = last && fetched.rows.length > 0 ? await deps.prices.latestBars(ticker, ENRICH_LOOKBACK) : [];
    let historyMismatch: IngestionToSave['historyMismatch'];
    let previousClose: number | undefined;
    if (last) {
      // Adjusted as stored: for the splits up to the last stored day (later ones are not in the stored bars yet).
      const overlap = validatePriceRows(fetched.rows, { asOf: last, after: overlapAfter, ticker });
      historyMismatch = overlapMismatch(adjustForSplits(overlap.bars, overlap.actions), history) ?? undefined;
      // The first new row's move is judged against the last stored day's close as traded, as this provider
      // serves it now (on the basis of the new rows, should it have rewritten its history), else as stored.
      const lastServed = overlap.bars.find((b) => b.date === last);
      const lastStored = history.length > 0 ? history[history.length - 1] : undefined;
      previousClose = lastServed?.close ?? (lastStored ? (lastStored.rawClose ?? lastStored.close) : undefined);
    }
    const { bars, rejected, actions, flagged } = validatePriceRows(fetched.rows, {
      asOf,
      after: last,
      ticker,
      previousClose,
    });
    const adjusted = actions.length > 0 ? adjustForSplits(bars, actions) : bars;
    const enriched = enrichBars(adjusted, history);
    return {
      runId,
      ticker,
      bars: enriched,
      rejected,
      ...(flagged.length > 0 ? { flagged } : {}),
      actions,
      provider: fetched.provider,
      failover: fetched.failover,
      ...(historyMismatch ? { historyMismatch } : {}),
    };
  }

  return {
    /** Record the run; idempotent. */
    async startIngestionRun(input: {
      runId: string;
      asOf: IsoDate;
      provider: string;
      tickers: string[];
    }): Promise<void> {
      await deps.runs.startRun(input);
    },

    /** The tickers a source holds (csv: its files), for an ingestion without an explicit list. */
    async listSourceTickers(selection: MarketDataSelection): Promise<string[]> {
      const provider = deps.marketData(selection);
      if (!provider.listTickers)
        throw new BadInputError(`provider ${provider.name} cannot list tickers: pass --tickers`);
      return provider.listTickers();
    },

    /**
     * Ingest a batch of tickers. A ticker's bad input fails that ticker only.
     * The prepared tickers are stored in one transaction (COPY, then one
     * upsert); should that fail, each is stored on its own so that one bad
     * ticker still fails alone. Transient failures are retried by Temporal:
     * the retry skips tickers already recorded for this run, so a worker
     * killed mid-batch resumes where it stopped and re-ingests nothing.
     */
    async ingestTickerBatch(input: IngestTickerBatchInput): Promise<TickerIngestionResult[]> {
      const { runId, tickers, asOf } = input;
      const context = Context.current();
      const recorded = await deps.runs.recordedResults(runId, tickers);
      const lastDates = await deps.prices.lastBarDates(tickers);
      const lastAttempt = context.info.attempt >= input.maxAttempts;
      const results = new Map<string, TickerIngestionResult>();
      const transient: string[] = [];
      const fail = async (ticker: string, err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof BadInputError || lastAttempt) {
          const failover = err instanceof ProvidersUnavailableError ? err.attempts : undefined;
          await deps.runs.recordFailure(runId, ticker, message, failover);
          results.set(ticker, {
            ...failedTickerIngestion(ticker, message, lastDates.get(ticker) ?? null),
            ...(failover ? { failover } : {}),
          });
        } else {
          transient.push(`${ticker}: ${message}`);
        }
      };
      const prepared: IngestionToSave[] = [];
      for (const ticker of tickers) {
        context.heartbeat({ ticker });
        const previous = recorded.get(ticker);
        if (previous) {
          results.set(ticker, previous);
          continue;
        }
        try {
          prepared.push(
            await prepareTicker(input, runId, ticker, asOf, lastDates.get(ticker), (d) => context.heartbeat(d)),
          );
        } catch (err) {
          await fail(ticker, err);
        }
      }
      context.heartbeat({ saving: prepared.length });
      try {
        for (const result of await deps.prices.saveIngestions(prepared)) results.set(result.ticker, result);
      } catch {
        for (const input of prepared) {
          context.heartbeat({ ticker: input.ticker });
          try {
            results.set(input.ticker, await deps.prices.saveIngestion(input));
          } catch (err) {
            await fail(input.ticker, err);
          }
        }
      }
      if (transient.length > 0) {
        throw ApplicationFailure.retryable(
          `transient failures, will retry: ${transient.join('; ')}`,
          'TransientIngestionFailure',
        );
      }
      return tickers.filter((t) => results.has(t)).map((t) => results.get(t)!);
    },

    /** Mark the run finished. */
    async finishIngestionRun(input: { runId: string; failed: number }): Promise<void> {
      await deps.runs.finishRun(input.runId, input.failed > 0 ? 'completed_with_failures' : 'completed');
    },
  };
}

export type IngestionActivities = ReturnType<typeof createIngestionActivities>;

/** Every provider of the order failed transiently for one ticker. */
export class ProvidersUnavailableError extends TransientError {
  constructor(readonly attempts: ProviderAttempt[]) {
    super(`no provider could serve it: ${describeAttempts(attempts)}`);
  }
}

function describeAttempts(attempts: readonly ProviderAttempt[]): string {
  return attempts.map((a) => `${a.provider}: ${a.error}`).join('; ');
}
