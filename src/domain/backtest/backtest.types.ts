import type { EnrichedBar } from '../bar';
import type { IsoDate } from '../dates';
import type { BarSeries } from '../strategies/bar-series';
import type { AnyStrategy, RawStrategyParams, Signal, StrategyParams } from '../strategies/strategy';

/** How orders are filled. All default to the old backtester: no costs, fractional shares, at the signal day's close. */
export interface BacktestOptions {
  /** Fixed commission per fill, in currency (default 0). */
  commissionPerTrade?: number;
  /** Commission in basis points of each fill's value (default 0). */
  commissionBps?: number;
  /** Slippage in basis points: buys fill this much above the price, sells below (default 0). */
  slippageBps?: number;
  /** Buy whole shares only, the rest stays in cash (default false: fractional). */
  wholeShares?: boolean;
  /**
   * `close` (default): fill at the signal day's close. `next_open`: a
   * decision taken at day i's close fills at day i+1's open; a decision on
   * the window's last day is not filled.
   */
  execution?: 'close' | 'next_open';
}

/** What to backtest. */
export interface BacktestInput {
  /**
   * One ticker's enriched bars, ascending, including history before
   * `startDate` (up to 199 days is what the old system loaded) so that the
   * averages are defined from the start. A BarSeries is reused as is (its
   * indicator cache is shared between runs: use one per ticker in a sweep).
   */
  bars: readonly EnrichedBar[] | BarSeries;
  /** A registered strategy's name or the strategy itself. */
  strategy: string | AnyStrategy;
  /** Parameters over the strategy's defaults. */
  params?: RawStrategyParams;
  /** First day of the window (the first bar on or after it); default the first bar. */
  startDate?: IsoDate;
  /** Last day of the window (the last bar on or before it); default the last bar. */
  endDate?: IsoDate;
  /** Starting cash (default 1000). */
  initialCapital?: number;
  options?: BacktestOptions;
  /**
   * `full` (default): the per-day arrays (dates, equity, shares, close,
   * signals). `summary`: totals and trades only, the arrays empty (for
   * parameter sweeps, where per-run allocations dominate).
   */
  output?: 'full' | 'summary';
}

/** One fill. */
export interface BacktestTrade {
  /** The day the fill happened (the signal day, or the next day with `next_open`). */
  date: IsoDate;
  side: 'BUY' | 'SELL';
  /** Fill price per share, slippage included. */
  price: number;
  shares: number;
  /** Commission paid on this fill. */
  fee: number;
  /** The day the strategy decided (equals `date` with `close` execution). */
  signalDate: IsoDate;
}

/** A backtest's outcome. */
export interface BacktestResult {
  strategy: string;
  strategyVersion: number;
  params: StrategyParams;
  /** First and last day of the window. */
  startDate: IsoDate;
  endDate: IsoDate;
  initialCapital: number;
  /** Cash plus the open position valued at the last close. */
  finalCapital: number;
  /**
   * Total return in percent: (final - initial) / initial * 100, rounded to 2
   * places (half to even on exact ties, like Python's round). The one return
   * every view of a backtest shows.
   */
  returnPct: number;
  /** Orders: BUY and SELL fills after the first day (the old trade count: the initial position is not one). */
  orders: number;
  /**
   * The purchase made because the strategy starts open on the first day
   * (SEED.md: "if open, buy C / close[first day] shares"); not counted in
   * `orders` nor listed in `trades`, as in the old backtester. Null when flat.
   */
  initialPosition: BacktestTrade | null;
  trades: BacktestTrade[];
  /** Total commission paid. */
  fees: number;
  /** The window's days; the arrays below are parallel to it (all empty with `output: 'summary'`). */
  dates: IsoDate[];
  /** Equity (cash + shares x close) at each day's close. */
  equity: Float64Array;
  /** Shares held at each day's close (exposure = days with shares > 0). */
  shares: Float64Array;
  /** Close of each day (for buy-and-hold comparisons). */
  close: Float64Array;
  /** Each day's signal; null on the first day (it initialises the state). */
  signals: Array<Signal | null>;
}

/** {@link BacktestResult} as plain JSON (what `serializeBacktest` returns). */
export type SerializedBacktestResult = Omit<BacktestResult, 'equity' | 'shares' | 'close' | 'dates' | 'signals'> & {
  /** Per day of the window: equity, shares held and close at that day's close. */
  equityCurve: Array<{ date: IsoDate; equity: number; shares: number; close: number }>;
  /** Per day of the window; null on the first day. */
  signals: Array<{ date: IsoDate; signal: Signal | null }>;
};
