import type { EnrichedBar, RawPriceRow, RejectedRow } from './bar';
import type { BacktestRecord } from './backtest/backtest-record';
import type { CorporateAction, SplitEvent } from './corporate-actions';
import type { IsoDate } from './dates';
import type { ProviderAttempt } from './market-data';
import type { FlaggedRow } from './price-validation';
import type { OverlapMismatch, PriceReadjustment, ReadjustmentCause } from './readjustment';
import type { Signal, SignalInputs, StrategyParams, StrategyState } from './strategies/strategy';
import type { OutOfSample, WalkForwardOptions, WalkForwardResult } from './backtest/walk-forward';

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
  /** Rows stored but worth a look (a jump of more than 10x its day's split explains); absent when none. */
  flagged?: FlaggedRow[];
  /** Last stored bar date after the run. */
  lastDate: IsoDate | null;
  error?: string;
  /**
   * Splits this run found dated after the ticker's previously stored bars:
   * those stored bars are not adjusted for them yet (a re-adjust is due).
   * Absent when none (always absent on a first backfill, which adjusts all).
   */
  newSplits?: SplitEvent[];
  /**
   * The stored history must be rewritten (a split after it, or the provider's
   * bars of stored days changed): the ingestion workflow re-adjusts it in a
   * child workflow before it returns. The ingestion stored none of the
   * ticker's new bars and actions (counts 0): the re-adjustment fetches them
   * again and stores them with the rewrite, or, quarantined, on approval.
   * Absent when the history is consistent.
   */
  readjustment?: ReadjustmentCause;
  /** The provider that served the ticker (absent when none did). */
  provider?: string;
  /** Providers tried before (or, for a failure, instead of) a serving one, with their transient errors. */
  failover?: ProviderAttempt[];
}

/** The outcome of a ticker that failed to ingest: nothing written by this run, its reason and its last stored bar. */
export function failedTickerIngestion(
  ticker: string,
  error: string,
  lastDate: IsoDate | null,
): TickerIngestionResult & { status: 'failed'; error: string } {
  return {
    ticker,
    status: 'failed',
    inserted: 0,
    updated: 0,
    unchanged: 0,
    rejected: [],
    rejectedCount: 0,
    lastDate,
    error,
  };
}

/** One ticker's fetched, validated and enriched data, as an ingestion run stores it. */
export interface IngestionToSave {
  runId: string;
  ticker: string;
  bars: readonly EnrichedBar[];
  rejected: readonly RejectedRow[];
  /** Accepted rows flagged by validation (see validatePriceRows). */
  flagged?: readonly FlaggedRow[];
  /**
   * The splits and dividends of the fetched days, stored in the same
   * transaction (upserted by date). Its splits dated after the ticker's
   * last stored bar before this save are reported as `newSplits`.
   */
  actions?: readonly CorporateAction[];
  /** Which provider served the bars and which failed before it; stored with the run's result. */
  provider?: string;
  failover?: readonly ProviderAttempt[];
  /** The provider's bars of days already stored no longer match them (see overlapMismatch). */
  historyMismatch?: OverlapMismatch;
}

/** A ticker's bars from `before` bars ahead of `through` on (see {@link PriceRepository.recentBarsOfTickers}). */
export interface BarWindow {
  ticker: string;
  through: IsoDate;
  before: number;
}

/** Storage of daily bars, their indicators and rejected source rows. */
export interface PriceRepository {
  /** The last stored bar date of each ticker; tickers without bars are absent. */
  lastBarDates(tickers: readonly string[]): Promise<Map<string, IsoDate>>;
  /** The newest `count` bars of `ticker`, ascending by date (the lookback of incremental enrichment). */
  latestBars(ticker: string, count: number): Promise<EnrichedBar[]>;
  /** Bars of `ticker` in [from, to] (inclusive, both optional), ascending by date. */
  bars(ticker: string, range?: { from?: IsoDate; to?: IsoDate }): Promise<EnrichedBar[]>;
  /** Every stored bar up to `to` of each of `tickers` in one read, ascending by date; tickers without bars are absent. */
  barsOfTickers(tickers: readonly string[], range: { to: IsoDate }): Promise<Map<string, EnrichedBar[]>>;
  /**
   * The recent bars of many tickers in one read: per window, the ticker's last
   * `before` + 1 bars on or before `through` and every bar after it up to `to`
   * (every bar when it has fewer), ascending; tickers without bars are absent.
   * What a day's evaluation of strategies whose state is current needs.
   */
  recentBarsOfTickers(windows: readonly BarWindow[], range: { to: IsoDate }): Promise<Map<string, EnrichedBar[]>>;
  /**
   * In one transaction: upsert `bars` by (ticker, date), store `rejected`
   * (a row rejected before for the same reason is not stored twice) and record
   * the ticker's `ok` result for ingestion run `runId`, so that a crash can
   * never leave bars stored without their run's record (or the reverse).
   * A ticker whose stored history must be rewritten first (its result's
   * `readjustment`) stores no bar and no action: they would sit on the
   * provider's new basis beside the old history.
   */
  saveIngestion(input: IngestionToSave): Promise<TickerIngestionResult>;
  /**
   * {@link saveIngestion} for many tickers (each at most once) in one
   * transaction: all are stored and recorded, or none. Results in input order.
   */
  saveIngestions(batch: readonly IngestionToSave[]): Promise<TickerIngestionResult[]>;
  /** Every ticker with at least one stored bar, sorted. */
  storedTickers(): Promise<string[]>;
}

/** Storage of splits and dividends, one record per (ticker, date). */
export interface CorporateActionRepository {
  /** The actions of `ticker` in [from, to] (inclusive, both optional), ascending by date. */
  corporateActions(ticker: string, range?: { from?: IsoDate; to?: IsoDate }): Promise<CorporateAction[]>;
  /** Upsert `actions` of `ticker` by date; returns how many were new and how many changed. */
  saveCorporateActions(
    ticker: string,
    actions: readonly CorporateAction[],
    runId?: string,
  ): Promise<{ inserted: number; updated: number }>;
}

/** What a re-adjustment writes besides the rewritten bars. */
export interface HistoryRewrite {
  ticker: string;
  /** The re-adjustment workflow: one record per id, however often it runs. */
  workflowId: string;
  ingestionRunId: string | null;
  reason: PriceReadjustment['reason'];
  date: IsoDate;
  factor: number | null;
  detail: string | null;
  /** Splits and dividends to upsert with the bars (a re-backfill's). */
  actions?: readonly CorporateAction[];
  /** What a later approval needs to apply it again: the cause and the market-data selection. */
  cause: ReadjustmentCause;
  selection: unknown;
  /** The quarantined re-adjustment this one applies (`algo readjust approve`): it is marked approved. */
  approves?: number;
}

/** What to do with a ticker's stored history: store these bars in its place, or quarantine the rewrite. */
export type HistoryRewritePlan = { bars: EnrichedBar[] } | { quarantine: string };

/** Rewrites of a stored ticker's history and their record (table price_readjustments). */
export interface PriceReadjustmentRepository {
  /** The re-adjustment recorded by workflow `workflowId`, or null. */
  readjustmentOf(workflowId: string): Promise<PriceReadjustment | null>;
  /** The re-adjustment with this id, with the cause and selection to apply it again; null when none. */
  readjustmentById(
    id: number,
  ): Promise<(PriceReadjustment & { cause: ReadjustmentCause | null; selection: unknown }) | null>;
  /**
   * In one transaction, with the ticker locked: read its stored bars and ask
   * `plan` what to do. Bars: they replace the stored ones (every stored day
   * the plan leaves out is removed, so no two adjustment bases sit side by
   * side), the actions are upserted, and the re-adjustment is recorded
   * `applied` with the number of rows changed and every replaced bar kept.
   * Quarantine: nothing is rewritten, it is recorded `quarantined` with the
   * reason. Once per workflow id: when it is recorded already, nothing is
   * written and the recorded one comes back with `alreadyRecorded`.
   */
  rewriteHistory(
    input: HistoryRewrite,
    plan: (stored: EnrichedBar[]) => HistoryRewritePlan,
  ): Promise<{ readjustment: PriceReadjustment; alreadyRecorded: boolean }>;
  /**
   * Put back the bars an applied re-adjustment replaced, in one transaction,
   * and mark it `undone`. Refused (BadInputError) unless it is applied and
   * is the ticker's latest applied one, and no bar was stored after it.
   */
  undoReadjustment(id: number): Promise<PriceReadjustment>;
  /** Recorded re-adjustments, oldest first; of one ticker, or of one status, when given. */
  readjustments(filter?: { ticker?: string; status?: PriceReadjustment['status'] }): Promise<PriceReadjustment[]>;
}

/** Bookkeeping of ingestion runs (one row per run, one per ticker of a run). */
export interface IngestionRunRepository {
  /** Record that run `runId` started (idempotent: a retried start changes nothing). */
  startRun(input: { runId: string; asOf: IsoDate; provider: string; tickers: readonly string[] }): Promise<void>;
  /** Results already recorded for `runId`, by ticker (used to resume a retried batch). */
  recordedResults(runId: string, tickers: readonly string[]): Promise<Map<string, TickerIngestionResult>>;
  /** Record a ticker's failure (idempotent by (runId, ticker)); successes are recorded by {@link PriceRepository.saveIngestion}. */
  recordFailure(runId: string, ticker: string, error: string, failover?: readonly ProviderAttempt[]): Promise<void>;
  /**
   * Mark the run finished with its overall status, and bring the stored
   * prices' query statistics up to date if the run's writes made them stale
   * (once per run, not once per batch: a backfill's reads need none).
   */
  finishRun(runId: string, status: 'completed' | 'completed_with_failures'): Promise<void>;
}

/** A strategy's state for one ticker, as stored between daily runs. */
export interface StoredStrategyState {
  /** `name@vVERSION:params`; a different fingerprint means the state must be rebuilt. */
  fingerprint: string;
  state: StrategyState;
}

/**
 * Hot strategy state per (ticker, strategy), rebuildable from Postgres at any
 * time. Writes are atomic and monotonic: a state never replaces a newer one.
 */
export interface StrategyStateStore {
  /** States of many (ticker, strategy) pairs; missing ones are absent from the map (key `TICKER|strategy`). */
  getMany(keys: ReadonlyArray<StrategyPair>): Promise<Map<string, StoredStrategyState>>;
  /** Forget these states (ones Postgres contradicts), so that {@link advance} writes their replay; returns how many were there. */
  forget(keys: ReadonlyArray<StrategyPair>): Promise<number>;
  /** Store `value` unless the stored state has already seen `value.state.lastDate` or later (same fingerprint); true when written. */
  advance(ticker: string, strategy: string, value: StoredStrategyState): Promise<boolean>;
  /** Forget every state (before a rebuild). */
  clear(): Promise<number>;
  /** Forget every state of one ticker (before rebuilding it over a rewritten history); returns how many. */
  clearTicker(ticker: string): Promise<number>;
}

/** One recorded signal with the numbers behind it. */
export interface SignalRecord {
  date: IsoDate;
  ticker: string;
  strategy: string;
  strategyVersion: number;
  signal: Signal;
  /** The close of the date; null for a reported signal without a stored bar of that date. */
  close: number | null;
  inputs: SignalInputs;
  /** Who reported it (an old client's POST /notification/{ticker}/send); absent for the signals our rules give. */
  reportedBy?: string;
}

/** A workflow run that recorded signals: its workflow id (`daily-2024-01-05`) and Temporal run id. */
export interface RecordingRun {
  workflowId: string;
  runId: string;
}

/** Which signals {@link SignalRepository.list} returns. */
export interface SignalFilter {
  date?: IsoDate;
  from?: IsoDate;
  to?: IsoDate;
  runDate?: IsoDate;
  ticker?: string;
  strategy?: string;
  signals?: readonly Signal[];
  /** Only signals whose (date, ticker, strategy) comes after this one. */
  after?: { date: IsoDate; ticker: string; strategy: string };
  limit?: number;
}

/** The signals table: one row per (date, ticker, strategy). */
export interface SignalRepository {
  /**
   * Insert signals recorded by the daily run of `runDate` (default: each
   * signal's own date); a (date, ticker, strategy) already recorded is left
   * as it was, with the run that first recorded it (`recordedBy`, noted for
   * the run reports). Returns how many were new.
   */
  record(signals: readonly SignalRecord[], runDate?: IsoDate, recordedBy?: RecordingRun): Promise<number>;
  /**
   * How many signals the run of `runDate` holds for `tickers`, per run that
   * recorded them (null: recorded before runs were noted, or reported).
   */
  countByRecorder(
    runDate: IsoDate,
    tickers: readonly string[],
  ): Promise<Array<{ recordedBy: RecordingRun | null; count: number }>>;
  /**
   * Signals ascending by date, then ticker and strategy; with `after`, only
   * those after that key (keyset paging), at most `limit` of them.
   */
  list(filter: SignalFilter): Promise<SignalRecord[]>;
  /**
   * The last date our rules were recorded for, of each (ticker, strategy)
   * pair that has one, keyed by {@link stateKey}: signals reported by old
   * clients are not counted, since the rules did not evaluate their day.
   */
  lastSignalDates(pairs: ReadonlyArray<StrategyPair>): Promise<Map<string, IsoDate>>;
}

/** A ticker and one of its strategy labels (`sma_cross`, `recommended:macd_cross`): what a state and a signal belong to. */
export interface StrategyPair {
  ticker: string;
  strategy: string;
}

/** Key of a (ticker, strategy) pair in maps. */
export const stateKey = (ticker: string, strategy: string): string => `${ticker}|${strategy}`;

/** A range of subscriber ids: one email activity's share of a fan-out. */
export interface RecipientPage {
  fromId: number;
  toId: number;
  count: number;
}

/**
 * Which signals a fan-out emails: those the daily run of `runDate` recorded
 * (its own day, and missed days it caught up), or one ticker's of one date
 * (the manual send).
 */
export type SignalSelection = { runDate: IsoDate } | { date: IsoDate; ticker: string };

/** A subscriber and the signals of one run that concern them. */
export interface DigestRecipient {
  subscriberId: number;
  email: string;
  signals: SignalRecord[];
}

/** What a claim found: `new` (claimed now), or the state a previous attempt left. */
export type ClaimStatus = 'new' | 'claimed' | 'sent' | 'failed';

/** A delivery row as a claim found it. */
export interface DeliveryClaim {
  status: ClaimStatus;
  /** The Message-ID stored when the delivery was first claimed. */
  messageId: string;
}

/** A digest to send: its subscriber, its number among the (kind, date) emails of that subscriber, and the signals it carries. */
export interface PlannedDigest extends DigestRecipient {
  seq: number;
  /**
   * Claimed by this very call (a new digest), under its Message-ID: it goes out
   * without a second claim. Absent on a digest an earlier attempt claimed and
   * left open, which is claimed again (an attempt counted, its status read).
   */
  claimedNow?: { messageId: string };
}

/**
 * Exactly-once email bookkeeping. An email is a delivery row keyed by (kind,
 * date, subscriber, seq), claimed before sending, its Message-ID derived
 * from that key. A digest's signals are recorded with the delivery that
 * carries them, once per (subscriber, signal): whatever the order and number
 * of runs of a date, each signal reaches each subscriber in one email.
 */
export interface DeliveryRepository {
  /**
   * Pages of at most `pageSize` recipients of a fan-out: confirmed subscribers
   * with at least one selected BUY or SELL signal among their subscriptions.
   */
  recipientPages(input: { signals: SignalSelection; pageSize: number }): Promise<RecipientPage[]>;
  /** The recipients of one page with their selected BUY and SELL signals (delivered or not). */
  recipients(input: { signals: SignalSelection; page: RecipientPage }): Promise<DigestRecipient[]>;
  /**
   * The digests of one page, decided once: per subscriber, a digest an
   * attempt left claimed and unsent (to resend exactly as it was), else a new
   * digest, claimed now as the next `seq`, with the selected signals no
   * delivery has carried to them yet. `delivered`: subscribers with nothing
   * left to send. `messageId` names a new delivery.
   */
  planDigests(input: {
    kind: string;
    date: IsoDate;
    signals: SignalSelection;
    page: RecipientPage;
    messageId(subscriberId: number, seq: number): string;
  }): Promise<{ digests: PlannedDigest[]; delivered: number[] }>;
  /**
   * Claim the deliveries (kind, date, subscriber, seq; seq 1 unless given) of
   * many subscribers in one round trip: insert each with its Message-ID, or
   * count another attempt on the one already there. Returns, per subscriber,
   * the claim's status and the Message-ID stored with it (a resend must carry
   * the stored one).
   */
  claim(input: {
    kind: string;
    date: IsoDate;
    deliveries: readonly { subscriberId: number; seq?: number; messageId: string }[];
  }): Promise<Map<number, DeliveryClaim>>;
  /** Mark claimed deliveries sent, by Message-ID, in one round trip; `sentBy` names the fan-out run that sent them. */
  markSent(input: { messageIds: readonly string[]; sentBy?: string }): Promise<void>;
  /** Of `subscriberIds`, those with a (kind, date) delivery marked sent by the fan-out run `sentBy`. */
  sentBy(input: { kind: string; date: IsoDate; subscriberIds: readonly number[]; sentBy: string }): Promise<number[]>;
  /** Mark a delivery failed for good (a permanent SMTP rejection), with the reason. */
  markFailed(input: { messageId: string; error: string }): Promise<void>;
}

/** Storage of backtest results (Postgres: tables backtests and backtest_trades). */
export interface BacktestRepository {
  /** Store a result; saving the same id again replaces it (a retried activity). */
  save(record: BacktestRecord): Promise<void>;
  /** A stored result, or null; without `withEquityCurve` its curve arrays are empty. */
  get(id: string, options?: { withEquityCurve?: boolean }): Promise<BacktestRecord | null>;
  /** The first and last stored bar dates of `ticker`, or null without bars. */
  storedRange(ticker: string): Promise<{ first: IsoDate; last: IsoDate } | null>;
}

/** Why a public backtest's result was deleted: it outlived `playground.retentionDays`, or made room under the cap. */
export type PublicBacktestDeletionReason = 'expired' | 'cap';

/** A deleted public backtest, remembered so that its link says what happened rather than "unknown". */
export interface PublicBacktestDeletion {
  reason: PublicBacktestDeletionReason;
  createdAt: Date;
  deletedAt: Date;
}

/**
 * The playground's public backtests (Postgres: table public_backtests): which
 * results were started without the admin key, so that only they expire and
 * count against the cap, and which of them were deleted. Admin backtests are
 * never in it.
 */
export interface PublicBacktestRepository {
  /** Record that backtest `id` was started by the public playground at `at`. */
  add(id: string, at: Date): Promise<void>;
  /** How many public results are kept (started and not deleted, finished or not). */
  countKept(): Promise<number>;
  /** The ids of the `limit` oldest kept public results, oldest first. */
  oldestKept(limit: number): Promise<string[]>;
  /**
   * At most `limit` ids to delete, oldest first: kept public results started
   * before `before`, and deleted ones whose result row was written after their
   * deletion (a run that ended late).
   */
  due(before: Date, limit: number): Promise<string[]>;
  /**
   * Delete the results' rows (the backtest with its trades and equity curve)
   * and record them deleted for `reason` at `at` (the first deletion's time
   * and reason stay), in one transaction.
   */
  markDeleted(ids: readonly string[], reason: PublicBacktestDeletionReason, at: Date): Promise<void>;
  /** How public backtest `id` was deleted; null when it is not a deleted public backtest. */
  deletion(id: string): Promise<PublicBacktestDeletion | null>;
  /** Forget the deletions recorded before `before` (their links then answer plain 404); how many. */
  forgetDeletions(before: Date): Promise<number>;
}

// ---------------------------------------------------------------- research (sweeps, recommendations)

/** Bars of many tickers in one read (a sweep batch reads its tickers at once). */
export interface TickerBarsReader {
  /**
   * Bars of each ticker (dated `to` or earlier when given), ascending, with
   * what a backtest reads: date, open, high, low, close (adjClose may repeat
   * close, volume may be 0, indicators may be null: a BarSeries computes them).
   * Tickers without bars are absent.
   */
  barsOfTickers(tickers: readonly string[], range?: { to?: IsoDate }): Promise<Map<string, EnrichedBar[]>>;
}

/** One (ticker, parameter set) summary of a sweep; `combo` is the set's index in the validated grid. */
export interface SweepResultRow {
  ticker: string;
  combo: number;
  params: StrategyParams;
  returnPct: number;
  numTrades: number;
  sharpe: number | null;
  maxDrawdownPct: number;
  finalCapital: number;
}

/** A sweep as recorded when it starts. */
export interface SweepStart {
  id: string;
  strategy: string;
  grid: string;
  /** The valid parameter sets, in grid order (rows index them by `combo`). */
  parameterSets: readonly StrategyParams[];
  tickers: number;
  from?: IsoDate;
  to?: IsoDate;
  initialCapital: number;
}

/** Storage of sweeps and their per-(ticker, parameter set) rows. */
export interface SweepStore {
  /** Record a sweep's start with its valid parameter sets in grid order (idempotent by id). */
  startSweep(input: SweepStart): Promise<void>;
  /** Store a batch's rows in one statement (`combo` indexes the parameter sets; `params` is not stored again); a retried batch rewrites the same keys. */
  saveSweepResults(sweepId: string, rows: readonly SweepResultRow[]): Promise<void>;
  /** Mark the sweep completed. */
  finishSweep(id: string): Promise<void>;
}

/** A ticker's recommendation from one run, before storage. */
export interface NewRecommendation {
  ticker: string;
  /** The ticker's last bar used. */
  asOf: IsoDate;
  /** Null: nothing recommended (`reason` says why). */
  strategy: string | null;
  params: StrategyParams | null;
  reason: string | null;
  /** The walk-forward evidence: out-of-sample metrics per window, per candidate, and the baseline. */
  evidence: RecommendationEvidence;
}

/** A stored recommendation (one row of the history). */
export interface StoredRecommendation extends Omit<NewRecommendation, 'evidence'> {
  runId: string;
  evidence: unknown;
  /** The newest row of its ticker. */
  current: boolean;
  /** Strategy or parameters differ from the ticker's previous current row (or there was none). */
  changed: boolean;
  previousStrategy: string | null;
  previousParams: StrategyParams | null;
  /** ISO timestamp. */
  createdAt: string;
}

/** A change of recommendation to tell a `recommended` subscriber about. */
export interface RecommendationChange {
  ticker: string;
  strategy: string | null;
  params: StrategyParams | null;
  reason: string | null;
  previousStrategy: string | null;
  previousParams: StrategyParams | null;
}

/** Recommendations in the system of record (history kept, one current row per ticker). */
export interface RecommendationStore {
  /** Store a run's recommendations and make them current (idempotent by (run, ticker)); returns the stored rows. */
  save(input: { runId: string; recommendations: readonly NewRecommendation[] }): Promise<StoredRecommendation[]>;
  /** The current recommendation of each ticker (of `tickers` when given), by ticker. */
  current(tickers?: readonly string[]): Promise<StoredRecommendation[]>;
}

/** The current recommendations in a cache (rebuildable from {@link RecommendationStore.current}). */
export interface RecommendationCache {
  setMany(recommendations: readonly StoredRecommendation[]): Promise<void>;
}

/** The evidence stored with a recommendation (and shown by `algo recommend`). */
export interface RecommendationEvidence {
  windows: number;
  options: Required<
    Pick<WalkForwardOptions, 'trainDays' | 'testDays' | 'stepDays' | 'minTrainTrades' | 'minTestTrades'>
  >;
  baseline: OutOfSample | null;
  candidates: WalkForwardResult['candidates'];
}

// ---------------------------------------------------------------- research results, read side (web pages)

/** A stored sweep as the sweep page shows it. */
export interface StoredSweep {
  id: string;
  strategy: string;
  grid: string;
  combos: number;
  /** The valid parameter sets in grid order (a result's `combo` indexes it). */
  parameterSets: StrategyParams[];
  /** Tickers planned. */
  tickers: number;
  from: IsoDate | null;
  to: IsoDate | null;
  initialCapital: number;
  status: 'running' | 'completed';
  startedAt: string;
  finishedAt: string | null;
}

/** Reads of stored sweeps, aggregated in the database (a sweep of 505 tickers x 100 sets is 50,500 rows). */
export interface SweepReader {
  sweep(id: string): Promise<StoredSweep | null>;
  /** Sweeps newest first (by start, then id), at most `limit`, after the keyset `after` when given. */
  listSweeps(page: { limit: number; after?: { startedAt: string; id: string } }): Promise<StoredSweep[]>;
  /** Tickers with stored rows, sorted. */
  sweepTickers(id: string): Promise<string[]>;
  /** Stored rows by ticker then grid order, at most `limit`, after the keyset `after` when given. */
  sweepResultsPage(
    id: string,
    page: { limit: number; after?: { ticker: string; combo: number } },
  ): Promise<SweepResultRow[]>;
  /** Per parameter set: its figures averaged over the tickers (one ticker's own when given; null Sharpes left out). */
  comboFigures(id: string, ticker?: string): Promise<import('./backtest/heatmap').ComboFigures[]>;
}

/** A rule strategy saved over the API (POST /strategies). */
export interface SavedRuleStrategy {
  name: string;
  /** The version of its definition (`ruleVersion`): a changed definition has another. */
  version: number;
  /** The rule as written (the JSON the rule schema accepts). */
  rule: unknown;
}

/** Storage of saved rule strategies (Postgres: table saved_rule_strategies), one per name. */
export interface SavedStrategyRepository {
  /** Every saved rule's name and version: what a refresh compares before reading any rule. */
  versions(): Promise<{ name: string; version: number }[]>;
  /** The saved rules of these names (those that exist). */
  get(names: readonly string[]): Promise<SavedRuleStrategy[]>;
  /** Stores a rule under its name, replacing the one saved before; `created` is false on a replacement. */
  save(strategy: SavedRuleStrategy): Promise<{ created: boolean }>;
}
