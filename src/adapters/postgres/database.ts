import { Kysely, PostgresDialect, type ColumnType, type Generated, type Insertable, type Selectable } from 'kysely';
import pg from 'pg';
import type { ReadjustmentCause, ReadjustmentStatus } from '../../domain/readjustment';

/*
 * Prices and indicators are `double precision`, deliberately: every source we
 * read carries at most 6 decimals (well inside float8's 15 significant
 * digits), indicators and strategies compute in IEEE doubles anyway, and pg
 * returns float8 as a JS number that round-trips exactly, with no string
 * parsing and half the storage of `numeric`. Money is never summed in SQL.
 */

/** A `date` column: read and written as an ISO `YYYY-MM-DD` string (see the type parser below). */
type DateColumn = string;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TickerTable {
  symbol: string;
  first_date: DateColumn | null;
  last_date: DateColumn | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A ticker added to the daily job by the API or the CLI (configured and subscribed ones are tracked anyway). */
export interface TrackedTickerTable {
  ticker: string;
  added_at: Timestamp;
  /** Who added it: `api`, `cli` or `migration`. */
  source: string;
}

/** A symbol a subscriber asked for, not yet confirmed by a provider (migration 0040). */
export interface PendingTickerTable {
  ticker: string;
  requested_at: Generated<Timestamp>;
}

export interface DailyBarTable {
  ticker: string;
  date: DateColumn;
  open: number;
  high: number;
  low: number;
  close: number;
  adj_close: number;
  volume: number;
  sma7: number | null;
  sma21: number | null;
  sma50: number | null;
  sma100: number | null;
  sma200: number | null;
  ema12: number | null;
  ema26: number | null;
  macd: number | null;
  macd_signal: number | null;
  /** The close as traded, on a bar adjusted for later splits; null when the bar is not adjusted. */
  raw_close: number | null;
  /** The product of later split factors the prices were divided by; 1 when none. */
  split_factor: ColumnType<number, number | undefined, number>;
}

/** A split and/or dividend of one ticker on one day (see the domain's CorporateAction). */
export interface CorporateActionTable {
  ticker: string;
  date: DateColumn;
  split_factor: number;
  dividend: number;
  spin_off: boolean;
  /** The ingestion run that first stored it (null when stored outside a run). */
  first_run_id: string | null;
  recorded_at: Timestamp;
  updated_at: Timestamp;
}

export interface IngestionRunTable {
  run_id: string;
  as_of: DateColumn;
  provider: string;
  tickers: string[];
  status: 'running' | 'completed' | 'completed_with_failures';
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface IngestionRunTickerTable {
  run_id: string;
  ticker: string;
  status: 'ok' | 'failed';
  inserted: number;
  updated: number;
  unchanged: number;
  rejected_count: number;
  /** The first rejected rows of this run as [{date, reason}] (all are in rejected_rows). */
  rejected: ColumnType<Array<{ date: string; reason: string }>, string, string>;
  last_date: DateColumn | null;
  error: string | null;
  recorded_at: Timestamp;
  /** Splits found after the ticker's previously stored history, as [{date, factor, spinOff}]. */
  new_splits: ColumnType<Array<{ date: string; factor: number; spinOff: boolean }>, string | undefined, string>;
  /** The provider that served the ticker (migration 0011); null for a failure or an older run. */
  provider: ColumnType<string | null, string | null | undefined, string | null>;
  /** Providers tried before it, [{provider, error}] (migration 0011). */
  failover: ColumnType<Array<{ provider: string; error: string }>, string | undefined, string>;
  /** Why the stored history must be rewritten (a ReadjustmentCause, migration 0012); null when not. */
  readjustment: ColumnType<ReadjustmentCause | null, string | null | undefined, string | null>;
  /** Rows stored but flagged, as [{date, reason}] (migration 0050). */
  flagged: ColumnType<Array<{ date: string; reason: string }>, string | undefined, string>;
}

/** A re-adjustment or re-backfill of a stored ticker's history (migration 0011). */
export interface PriceReadjustmentTable {
  id: Generated<number>;
  ticker: string;
  date: DateColumn;
  factor: number | null;
  rows_changed: number;
  reason: 'split' | 'adjusted_history_changed';
  detail: string | null;
  workflow_id: string;
  ingestion_run_id: string | null;
  recorded_at: Timestamp;
  /** Migration 0051. */
  status: ColumnType<ReadjustmentStatus, ReadjustmentStatus | undefined, ReadjustmentStatus>;
  quarantine_reason: string | null;
  cause: ColumnType<ReadjustmentCause | null, string | null | undefined, string | null>;
  selection: ColumnType<unknown, string | null | undefined, string | null>;
  /** The bars an applied rewrite replaced, as stored rows (see toEnrichedBar). */
  replaced: ColumnType<unknown[] | null, string | null | undefined, string | null>;
  last_date: DateColumn | null;
}

export interface RejectedRowTable {
  id: Generated<number>;
  ticker: string;
  /** The date as the source wrote it; it may not be a valid date. */
  source_date: string;
  reason: string;
  raw: ColumnType<unknown, string, string>;
  first_run_id: string;
  first_seen_at: Timestamp;
}

export interface SignalTable {
  date: DateColumn;
  ticker: string;
  strategy: string;
  strategy_version: number;
  signal: 'BUY' | 'SELL' | 'HOLD' | 'WAIT';
  /** The close of the date; null for a reported signal without a stored bar (migration 0018). */
  close: number | null;
  /** The numbers the decision used (close, indicator values), by name. */
  inputs: ColumnType<Record<string, number | string | null>, string, string>;
  recorded_at: Timestamp;
  /** The daily run that recorded it: its own date, or a later run that caught up a missed day. */
  run_date: DateColumn;
  /** Who reported it (an old client's POST /notification/{ticker}/send, migration 0018); null for ours. */
  reported_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** The workflow id of the run that recorded it (migration 0090); null before that, and for reported signals. */
  recorded_by_workflow: ColumnType<string | null, string | null | undefined, string | null>;
  /** That run's Temporal run id (migration 0090). */
  recorded_by_run: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SubscriberTable {
  id: Generated<number>;
  /** Lower-cased address. */
  email: string;
  status: 'pending' | 'confirmed' | 'unsubscribed';
  created_at: Timestamp;
  confirmed_at: Timestamp | null;
  unsubscribed_at: Timestamp | null;
}

/** A subscription asked for through the public API, waiting for its confirmation link (migration 0009). */
export interface SubscriptionChangeTable {
  id: Generated<number>;
  subscriber_id: number;
  /** JSON array of {ticker, strategy}. */
  subscriptions: ColumnType<Array<{ ticker: string; strategy: string }>, string, string>;
  requested_on: string;
  /** The mailbox the address delivers to (migration 0041); null in older rows. */
  mailbox: string | null;
  created_at: Generated<Timestamp>;
  applied_at: Timestamp | null;
}

export interface SubscriptionTable {
  subscriber_id: number;
  ticker: string;
  /** A registered strategy name, or `recommended`. */
  strategy: string;
  created_at: Timestamp;
}

export interface DeliveryTable {
  /** `daily` (the run's digest), `confirmation`, `notification` (manual send). */
  kind: string;
  run_date: DateColumn;
  subscriber_id: number;
  /** The n-th email of this (kind, date, subscriber): each carries signals the earlier ones did not. */
  seq: ColumnType<number, number | undefined, number>;
  message_id: string;
  status: 'claimed' | 'sent' | 'failed';
  attempts: number;
  error: string | null;
  claimed_at: Timestamp;
  sent_at: Timestamp | null;
  /** The fan-out run that marked it sent, `<workflow id>/<run id>` (migration 0020); null outside a fan-out. */
  sent_by: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One alert about a day's daily run (the watchdog), once per (date, cause). */
export interface DailyRunAlertTable {
  date: DateColumn;
  cause: 'failed' | 'not_finished';
  status: 'claimed' | 'sent' | 'refused';
  recipient: string;
  message_id: string;
  workflow_id: string | null;
  detail: string;
  error: string | null;
  claimed_at: ColumnType<Date, Date | undefined, never>;
  sent_at: Timestamp | null;
}

/** Which delivery carried a (subscriber, signal): at most one, whatever the kind or number of runs. */
export interface DeliveredSignalTable {
  subscriber_id: number;
  date: DateColumn;
  ticker: string;
  strategy: string;
  kind: string;
  run_date: DateColumn;
  seq: number;
}

/**
 * One ad-hoc backtest (id = its workflow id). Headline numbers are columns
 * (to sort and filter); metrics are JSONB (a documented set that grows
 * without migrations); the equity curve is one columnar JSONB document,
 * read and written whole (a 10,000-day curve is one value, not 10,000 rows).
 */
export interface BacktestTable {
  id: string;
  ticker: string;
  strategy: string;
  strategy_version: number;
  params: ColumnType<Record<string, number>, string, string>;
  /** Fill options (commission, slippage, whole shares, execution) as run. */
  options: ColumnType<Record<string, unknown>, string, string>;
  start_date: DateColumn;
  end_date: DateColumn;
  initial_capital: number;
  final_capital: number;
  return_pct: number;
  num_trades: number;
  fees: number;
  /** The purchase on the first day when the strategy started open (not a trade), or null. */
  initial_position: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  metrics: ColumnType<Record<string, unknown>, string, string>;
  /** `{dates, equity, shares, close}`: parallel arrays over the window. */
  equity_curve: ColumnType<{ dates: string[]; equity: number[]; shares: number[]; close: number[] }, string, string>;
  report_key: string;
  chart_key: string;
  /** Where the report was stored when it ran: a file path or a URL. */
  report_url: string;
  created_at: Timestamp;
  /** The inline rule as written of a backtest of an unsaved rule (migration 0075); null for a registered strategy. */
  rule: ColumnType<unknown, string | null | undefined, string | null>;
}

/** A backtest the public playground started (migration 0085); deleted ones stay a year with why and when. */
export interface PublicBacktestTable {
  id: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  deleted_reason: ColumnType<'expired' | 'cap' | null, 'expired' | 'cap' | null | undefined, 'expired' | 'cap' | null>;
}

/** One fill of a backtest, in order (`seq` from 0). */
export interface BacktestTradeTable {
  backtest_id: string;
  seq: number;
  date: DateColumn;
  side: 'BUY' | 'SELL';
  price: number;
  shares: number;
  fee: number;
  signal_date: DateColumn;
}

/** One parameter sweep (id = its workflow id). */
export interface SweepTable {
  id: string;
  strategy: string;
  /** The grid as given (`fast=5..20:5,...`). */
  grid: string;
  combos: number;
  /** The valid parameter sets in grid order (a result's `combo` indexes it). */
  parameter_sets: ColumnType<Array<Record<string, number>>, string, string>;
  tickers: number;
  from_date: DateColumn | null;
  to_date: DateColumn | null;
  initial_capital: number;
  status: 'running' | 'completed';
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

/** One (sweep, ticker, parameter set) summary; `combo` indexes the sweep's `parameter_sets`. */
export interface SweepResultTable {
  sweep_id: string;
  ticker: string;
  combo: number;
  return_pct: number;
  num_trades: number;
  sharpe: number | null;
  max_drawdown_pct: number;
  final_capital: number;
}

/** A ticker's recommendation from one run (history kept; `current` = the newest per ticker). */
export interface RecommendationTable {
  id: Generated<number>;
  run_id: string;
  ticker: string;
  /** Null: nothing recommended (see `reason`). */
  strategy: string | null;
  params: ColumnType<Record<string, number> | null, string | null, string | null>;
  reason: string | null;
  /** The walk-forward evidence (out-of-sample metrics per window, per candidate). */
  evidence: ColumnType<unknown, string, string>;
  as_of: DateColumn;
  current: ColumnType<boolean, boolean | undefined, boolean>;
  previous_strategy: string | null;
  previous_params: ColumnType<Record<string, number> | null, string | null, string | null>;
  /** True when strategy or parameters differ from the ticker's previous current row (or there was none). */
  changed: boolean;
  created_at: Timestamp;
}

/** Every table, for Kysely. */
/** A rule strategy saved over the API: the rule as written and the version of its definition. */
export interface SavedRuleStrategyTable {
  name: string;
  version: number;
  rule: ColumnType<unknown, string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  tickers: TickerTable;
  tracked_tickers: TrackedTickerTable;
  pending_tickers: PendingTickerTable;
  daily_bars: DailyBarTable;
  ingestion_runs: IngestionRunTable;
  ingestion_run_tickers: IngestionRunTickerTable;
  rejected_rows: RejectedRowTable;
  corporate_actions: CorporateActionTable;
  price_readjustments: PriceReadjustmentTable;
  signals: SignalTable;
  subscribers: SubscriberTable;
  subscriptions: SubscriptionTable;
  deliveries: DeliveryTable;
  delivered_signals: DeliveredSignalTable;
  backtests: BacktestTable;
  backtest_trades: BacktestTradeTable;
  public_backtests: PublicBacktestTable;
  sweeps: SweepTable;
  sweep_results: SweepResultTable;
  recommendations: RecommendationTable;
  subscription_changes: SubscriptionChangeTable;
  saved_rule_strategies: SavedRuleStrategyTable;
  daily_run_alerts: DailyRunAlertTable;
}

export type DailyBarRow = Selectable<DailyBarTable>;
export type NewDailyBarRow = Insertable<DailyBarTable>;

// Dates stay strings (no time-zone shifts); bigint counts fit in a JS number.
const PG_DATE_OID = 1082;
const PG_INT8_OID = 20;
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_DATE_OID) return (value: string) => value;
    if (oid === PG_INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** The pg pool under each Kysely instance made by {@link createDatabase} (COPY needs a raw client). */
const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** A Kysely instance over a pg pool for `url`. */
export function createDatabase(url: string, options: { max?: number } = {}): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: typeParsers });
  // An idle connection that the server closes (a restart, a terminated backend)
  // is emitted here; unhandled it would crash the process. The pool drops the
  // client and the next query opens a new connection.
  pool.on('error', (err) =>
    console.warn(`postgres: an idle connection was closed (${err.message}); the next query reconnects`),
  );
  // The pool listens on idle clients only: a client checked out (a transaction
  // between statements, a COPY) whose server goes away (57P01 on a restart)
  // emits 'error' with no listener, and that kills the process. Every client
  // gets its own listener for its whole life; the query or transaction that
  // was using it fails on its own, and the pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', (err) =>
      console.warn(`postgres: a connection in use was closed (${err.message}); its query fails and is retried`),
    );
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** The pg pool of a Kysely instance made by {@link createDatabase}; undefined for any other. */
export function poolOf(db: Kysely<Database>): pg.Pool | undefined {
  return pools.get(db);
}

/**
 * Run `fn` with one pooled connection, seen both raw (for COPY) and as a
 * Kysely instance bound to that very connection (for everything else), so
 * that both take part in one transaction.
 */
export async function withRawConnection<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // A pool of exactly this client: Kysely "acquires" and "releases" it around each query.
    const borrowed = { query: client.query.bind(client), release: () => undefined };
    const single = { connect: async () => borrowed, end: async () => undefined } as unknown as pg.Pool;
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: single }) });
    return await fn(client, db);
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-COPY or mid-transaction is not handed to anyone else.
    client.release(broken);
  }
}
