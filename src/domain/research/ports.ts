import type { IsoDate } from '../dates';
import type { SignalRecord } from '../ports';

/** A recorded signal with the daily run that recorded it. */
export interface StoredSignal extends SignalRecord {
  /** The daily run that recorded it (its own date, or a later run that caught the day up). */
  runDate: IsoDate;
}

/** The latest recorded state of one (ticker, strategy label), read from the signals table (the system of record). */
export interface LabelState {
  strategy: string;
  /** The newest recorded signal of the label. */
  last: StoredSignal;
  /** The newest BUY and SELL of the label, if any. */
  lastBuy: IsoDate | null;
  lastSell: IsoDate | null;
  /** How many BUYs and SELLs were recorded. */
  trades: number;
}

/** A (ticker, strategy label) pair. */
export interface TickerStrategy {
  ticker: string;
  strategy: string;
}

/**
 * Reads behind the research pages (ticker, signal, track record, runs). A
 * signal counts as sent when a delivery that carried it was sent: a daily
 * digest of its run to a subscriber of its (ticker, strategy), or a manual
 * send of its ticker and date.
 */
export interface ResearchRepository {
  /** The first and last stored bar dates of `ticker`, or null without bars. */
  storedRange(ticker: string): Promise<{ first: IsoDate; last: IsoDate } | null>;
  /** The signal recorded for (ticker, strategy label, date), or null. */
  signal(key: TickerStrategy & { date: IsoDate }): Promise<StoredSignal | null>;
  /** BUY and SELL signals of `ticker` (of one label when given), dated in [from, to], ascending. */
  trades(input: { ticker: string; strategy?: string; from?: IsoDate; to?: IsoDate }): Promise<StoredSignal[]>;
  /** The newest `limit` BUY and SELL signals of `ticker`, newest first. */
  latestTrades(ticker: string, limit: number): Promise<StoredSignal[]>;
  /** The latest recorded state of every strategy label of `ticker`, by label. */
  labelStates(ticker: string): Promise<LabelState[]>;
  /** Whether a delivery carrying the signal was sent to at least one subscriber. */
  wasSent(key: TickerStrategy & { date: IsoDate }): Promise<boolean>;
  /**
   * (ticker, label) pairs with at least one sent BUY or SELL, ascending,
   * after the `after` pair (keyset paging), at most `limit`.
   */
  sentPairs(input: {
    ticker?: string;
    strategy?: string;
    after?: TickerStrategy;
    limit: number;
  }): Promise<TickerStrategy[]>;
  /** The sent BUY and SELL signals of `pairs`, ascending by date. */
  sentTrades(pairs: readonly TickerStrategy[]): Promise<StoredSignal[]>;
  /** Deliveries of the daily digests of `dates`: how many were sent, failed for good, or still claimed. */
  dailyDeliveries(dates: readonly IsoDate[]): Promise<Map<IsoDate, { sent: number; failed: number; claimed: number }>>;
  /** Of `tickers`, those without a stored bar dated `date`, with their last bar date (null: none). */
  staleTickers(date: IsoDate, tickers: readonly string[]): Promise<Array<{ ticker: string; lastDate: IsoDate | null }>>;
}

/** One daily run as the run history shows it. */
export interface DailyRunSummary {
  workflowId: string;
  runId: string;
  /** Temporal's status name: RUNNING, COMPLETED, FAILED, TERMINATED, ... */
  status: string;
  /** ISO timestamps. */
  startTime: string | null;
  closeTime: string | null;
  /** The workflow's result when it completed (the DailyRunResult shape), else null. */
  result: unknown;
  /** The failure message of a failed run. */
  failure?: string;
}

/** Recent daily runs, newest first (Temporal visibility). */
export interface DailyRunHistory {
  /** A page of runs; `nextPage` is opaque (null on the last page). */
  list(input: { limit: number; page?: string }): Promise<{ runs: DailyRunSummary[]; nextPage: string | null }>;
  /** One daily run by workflow id (its latest run, or `runId`); null when there is no such daily run. */
  get(input: { workflowId: string; runId?: string }): Promise<DailyRunSummary | null>;
}
