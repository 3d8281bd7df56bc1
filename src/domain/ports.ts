import type { EnrichedBar, RawPriceRow, RejectedRow } from './bar';
import type { IsoDate } from './dates';

/**
 * A source of daily prices (a directory of CSV files, Yahoo Finance, ...).
 * Implementations throw {@link MarketDataError} for a source that cannot be
 * read or returns garbage, and {@link TransientError} for failures worth
 * retrying (network, rate limits).
 */
export interface MarketDataProvider {
  /** Short name used in config and on the command line (`csv`, `yahoo`). */
  readonly name: string;
  /**
   * Raw daily rows of `ticker` with dates in [`from`, `to`], both inclusive;
   * without `from`, the full history up to `to`. Rows whose date cannot be
   * parsed are returned too, so that validation can reject them with a reason.
   */
  fetchDaily(request: { ticker: string; from?: IsoDate; to: IsoDate }): Promise<RawPriceRow[]>;
  /** Optional: the tickers this source holds without being told (csv: the files in its directory). */
  listTickers?(): Promise<string[]>;
}

/** What one ticker's upsert did to the bars table. */
export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** The outcome of ingesting one ticker, as stored and reported. */
export interface TickerIngestionResult extends UpsertCounts {
  ticker: string;
  status: 'ok' | 'failed';
  /** Rows rejected by this run (capped in reports; all are stored). */
  rejected: Array<{ date: string; reason: string }>;
  rejectedCount: number;
  /** Last stored bar date after the run. */
  lastDate: IsoDate | null;
  error?: string;
}

/** Storage of daily bars, their indicators and rejected source rows. */
export interface PriceRepository {
  /** The last stored bar date of each ticker; tickers without bars are absent. */
  lastBarDates(tickers: readonly string[]): Promise<Map<string, IsoDate>>;
  /** The newest `count` bars of `ticker`, ascending by date (the lookback of incremental enrichment). */
  latestBars(ticker: string, count: number): Promise<EnrichedBar[]>;
  /** Bars of `ticker` in [from, to] (inclusive, both optional), ascending by date. */
  bars(ticker: string, range?: { from?: IsoDate; to?: IsoDate }): Promise<EnrichedBar[]>;
  /**
   * In one transaction: upsert `bars` by (ticker, date), store `rejected`
   * (a row rejected before for the same reason is not stored twice) and record
   * the ticker's `ok` result for ingestion run `runId`, so that a crash can
   * never leave bars stored without their run's record (or the reverse).
   */
  saveIngestion(input: {
    runId: string;
    ticker: string;
    bars: readonly EnrichedBar[];
    rejected: readonly RejectedRow[];
  }): Promise<TickerIngestionResult>;
  /** Every ticker with at least one stored bar, sorted. */
  storedTickers(): Promise<string[]>;
}

/** Bookkeeping of ingestion runs (one row per run, one per ticker of a run). */
export interface IngestionRunRepository {
  /** Record that run `runId` started (idempotent: a retried start changes nothing). */
  startRun(input: { runId: string; asOf: IsoDate; provider: string; tickers: readonly string[] }): Promise<void>;
  /** Results already recorded for `runId`, by ticker (used to resume a retried batch). */
  recordedResults(runId: string, tickers: readonly string[]): Promise<Map<string, TickerIngestionResult>>;
  /** Record a ticker's failure (idempotent by (runId, ticker)); successes are recorded by {@link PriceRepository.saveIngestion}. */
  recordFailure(runId: string, ticker: string, error: string): Promise<void>;
  /** Mark the run finished with its overall status. */
  finishRun(runId: string, status: 'completed' | 'completed_with_failures'): Promise<void>;
}
