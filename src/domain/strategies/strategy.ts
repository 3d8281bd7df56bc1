import type { z } from 'zod';
import type { IsoDate } from '../dates';
import type { BarSeries } from './bar-series';

/**
 * What a strategy says about a day. BUY and SELL change the position (and are
 * the ones emailed); HOLD keeps an open position; WAIT stays flat.
 */
export type Signal = 'BUY' | 'SELL' | 'HOLD' | 'WAIT';

/** The position a strategy believes in: BUY = open (long), SELL = flat. */
export type Position = 'BUY' | 'SELL';

/**
 * The state of one (ticker, strategy) between two days: small and
 * JSON-serialisable, because it lives in Redis and travels through Temporal.
 * It is the old system's Redis record plus the last evaluated day.
 */
export interface StrategyState {
  /** The position after the last evaluated day. */
  lastStatus: Position;
  /** The last counted cross up (a bullish event), or a synthetic date before the first day. */
  lastCrossUp: IsoDate;
  /** The last counted cross down (a bearish event), or a synthetic date before the first day. */
  lastCrossDown: IsoDate;
  /** The last day this state has seen (the first day, right after initialisation). */
  lastDate: IsoDate;
  /**
   * The running values of the strategy's recursive indicators after
   * `lastDate` (Wilder RSI's average gain and loss), so that the next
   * evaluation goes on from a few bars, not the whole history. Absent for
   * strategies without any, and in states written before they were kept.
   */
  carry?: CarriedValues;
}

/** Named running values of a strategy's recursive indicators after one day (see {@link StrategyState.carry}). */
export type CarriedValues = Record<string, number>;

/** {@link StrategyState.carry} with the day it is of, as {@link Strategy.prepare} takes it. */
export interface CarriedFrom {
  date: IsoDate;
  values: CarriedValues;
}

/** The numbers a decision used (close and indicator values), recorded with the signal; null = undefined. */
export type SignalInputs = Record<string, number | null>;

/** A strategy's parameters: named numbers (periods, thresholds). */
export type StrategyParams = Record<string, number>;

/** Parameters as a caller wrote them (config, CLI `k=v`, API JSON): validated by {@link Strategy.parseParams}. */
export type RawStrategyParams = Readonly<Record<string, unknown>>;

/** Bit set in {@link PreparedStrategy.events} on a day with a cross up (bullish event). */
export const CROSS_UP = 1;
/** Bit set in {@link PreparedStrategy.events} on a day with a cross down (bearish event). */
export const CROSS_DOWN = 2;

/**
 * A strategy prepared for one series and one parameter set: everything a day's
 * step reads, computed once as arrays so that a step is a few array reads.
 */
export interface PreparedStrategy {
  readonly series: BarSeries;
  /**
   * Per day `i`, {@link CROSS_UP} and/or {@link CROSS_DOWN} when the
   * strategy's event happened on day `i` (judged against day `i - 1` where it
   * is a crossing). Day 0 never has an event: there is no day before it.
   */
  readonly events: Uint8Array;
  /**
   * When true a cross down only counts if `lastCrossDown < lastCrossUp`
   * (SEED.md's sma_cross rule 2: a cross down only counts after a counted cross up).
   */
  readonly crossDownNeedsCountedCrossUp: boolean;
  /** True when, starting on day `i` with no earlier state, the position is open. */
  initiallyOpen(i: number): boolean;
  /** The numbers behind day `i`'s decision (allocates: use for records, not in hot loops). */
  inputs(i: number): SignalInputs;
  /**
   * The indicator series a chart draws, by the keys of {@link Strategy.chart}
   * (`NaN` where undefined); the arrays the events were computed from, not copies.
   */
  readonly lines?: Readonly<Record<string, Float64Array>>;
  /**
   * The running values to carry after day `i` (see {@link StrategyState.carry}),
   * undefined where they are not defined yet; absent when the strategy carries nothing.
   */
  carry?(i: number): CarriedValues | undefined;
}

/** One series a chart draws: `key` names a column of {@link PreparedStrategy.lines}. */
export interface ChartLine {
  key: string;
  /** Legend text, e.g. `SMA(21)`. */
  label: string;
  /** `histogram` for bars around zero (the MACD histogram); default `line`. */
  kind?: 'line' | 'histogram';
}

/** A pane below the price with its own scale (RSI, MACD). */
export interface ChartPane {
  id: string;
  label: string;
  lines: ChartLine[];
  /** Horizontal reference levels (RSI 30/70, MACD 0). */
  levels?: number[];
}

/** What a chart of a strategy draws: lines over the price (same scale) and panes below it. */
export interface ChartSpec {
  overlays: ChartLine[];
  panes: ChartPane[];
}

/**
 * A trading strategy. Every strategy shares one state machine (see
 * `state-machine.ts`, from SEED.md): a strategy only defines its "cross up"
 * and "cross down" events and its initial position, by preparing them as
 * arrays over a {@link BarSeries}; the machine turns them into signals.
 *
 * `P` is the typed parameter object; `parseParams` validates raw input with
 * `paramsSchema` and fills in `defaults`.
 */
export interface Strategy<P extends StrategyParams = StrategyParams> {
  /** Registry key, used in config, signals and subscriptions (`sma_cross`). */
  readonly name: string;
  /** Bumped whenever the rules change; recorded with every signal. */
  readonly version: number;
  /** One line for people (CLI, API, emails). */
  readonly description: string;
  /**
   * The rule in words with these parameters, for people ("BUY when SMA(7)
   * crosses above SMA(21) ..."): what the signal page and the playground show.
   */
  rules(params: P): string;
  /** The indicators a chart of this strategy draws with these parameters (keys of {@link PreparedStrategy.lines}). */
  chart(params: P): ChartSpec;
  readonly defaults: Readonly<P>;
  readonly paramsSchema: z.ZodType<P>;
  /**
   * Validated parameters: `raw` over the defaults. Throws BadInputError naming
   * the parameter for an unknown name or a bad value.
   */
  parseParams(raw?: RawStrategyParams): P;
  /**
   * How many bars before an evaluated day the evaluation reads, so that the
   * result equals a whole-history evaluation; `Infinity` when an indicator is
   * recursive (EMA, Wilder RSI) and only the whole history gives exactly the
   * same numbers.
   */
  lookback(params: P): number;
  /**
   * The {@link lookback} when the state carries the strategy's running
   * indicator values ({@link StrategyState.carry}); absent when it carries none.
   */
  carriedLookback?(params: P): number;
  /**
   * Computes the events over `series` (indicators are cached in the series,
   * shared across parameter sets). `events`, when given, is a
   * `series.length` buffer to write every day's events into (the backtest
   * engine reuses one per series to spare an allocation per run); otherwise a new one.
   * `carried`, when its day is in the series, seeds the recursive indicators
   * there (days before it are undefined); otherwise they start from the first bar.
   */
  prepare(series: BarSeries, params: P, events?: Uint8Array, carried?: CarriedFrom): PreparedStrategy;
}

/** Any registered strategy, whatever its parameter type. */
export type AnyStrategy = Strategy<StrategyParams>;
