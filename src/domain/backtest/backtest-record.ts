import type { BacktestOptions, BacktestResult, BacktestTrade } from './backtest.types';
import { computeMetrics, type BacktestMetrics, type MetricsTrade } from './metrics';
import { isIsoDate, type IsoDate } from '../dates';
import { BadInputError, UnknownTickerError } from '../errors';
import { parseTickerSymbol } from '../ticker-symbol';
import { getStrategy, type RawStrategyParams, type StrategyParams } from '../strategies';
import { ruleStrategy } from '../strategies/rules/rule-strategy';
import type { Strategy } from '../strategies/strategy';

/**
 * Backtests as the rest of the system sees them: the request (validated at
 * every edge), the stored record and its summary, and the metrics of an
 * engine result. Pure: storage is the BacktestRepository port (../ports).
 */

/** Input of `backtestWorkflow` (CLI and API options, before validation). */
export interface BacktestRequest {
  ticker: string;
  /** A registered strategy name (`sma_cross`, ...); with `rule`, absent or the rule's name. */
  strategy?: string;
  /**
   * An unsaved rule strategy as written (the schema of POST /strategies), run
   * instead of a registered strategy: the playground's backtest of the rule
   * builder's rule. Optional, so histories recorded before it replay unchanged.
   */
  rule?: unknown;
  /** Parameters over the strategy's defaults (numbers, or numeric strings from `k=v`). */
  params?: RawStrategyParams;
  /** First day, YYYY-MM-DD (default: the first stored day); earlier stored days still feed the indicators. */
  from?: IsoDate;
  /** Last day, YYYY-MM-DD (default: the last stored day). */
  to?: IsoDate;
  /** Starting cash (default 1000). */
  capital?: number;
  /** Commission in basis points of each fill (default 0). */
  feesBps?: number;
  /** Fixed commission per fill (default 0). */
  commissionPerTrade?: number;
  /** Slippage in basis points (default 0). */
  slippageBps?: number;
  /** Whole shares only (default false). */
  wholeShares?: boolean;
  /** `close` (default, the old backtester) or `next_open`. */
  execution?: 'close' | 'next_open';
}

/** A validated {@link BacktestRequest}: every default filled in, dates resolved against the stored data. */
export interface CheckedBacktestRequest {
  ticker: string;
  strategy: string;
  /** The request's inline rule compiled (the strategy to run); absent for a registered strategy. */
  inlineRule?: Strategy<StrategyParams>;
  params: StrategyParams;
  from: IsoDate;
  to: IsoDate;
  capital: number;
  options: Required<BacktestOptions>;
}

/** A fill as the summary lists it. */
export interface BacktestSummaryTrade {
  date: IsoDate;
  side: 'BUY' | 'SELL';
  price: number;
  shares: number;
}

/**
 * The one summary of a backtest: the result of `backtestWorkflow`, what
 * `algo backtest --json` prints and GET /backtests/{id} serves, and what the
 * headline, the metrics table, the HTML report and the web pages read.
 * Drawdowns are positive magnitudes (`metrics.maxDrawdownPct`, see
 * BacktestMetrics). The equity curve stays in Postgres.
 */
/**
 * The figures of one backtest that every view shows, as the engine computed
 * them ({@link BacktestResult}): `returnPct` is the one return
 * (`metrics.totalReturnPct` is the same number), `orders` the old system's
 * trade count (each BUY and each SELL after the first day).
 */
export type BacktestFigures = Pick<
  BacktestResult,
  'strategy' | 'params' | 'startDate' | 'endDate' | 'initialCapital' | 'finalCapital' | 'returnPct' | 'orders'
>;

export interface BacktestSummary extends BacktestFigures {
  /** The workflow id (a run in the Temporal UI). */
  id: string;
  ticker: string;
  /** Round trips: each entry with its exit, the initial position and a still-open one included (`metrics.roundTrips`). */
  roundTrips: number;
  trades: BacktestSummaryTrade[];
  /** The purchase on the first day when the strategy starts open: not a trade (the old count), listed so the trades read right. */
  initialPosition: BacktestSummaryTrade | null;
  metrics: BacktestMetrics;
  /** The HTML report: a file path (filesystem store) or a URL (s3). */
  report: string;
}

/** A persisted backtest: the summary with everything behind it. */
export interface BacktestRecord extends BacktestFigures {
  id: string;
  ticker: string;
  strategyVersion: number;
  options: Required<BacktestOptions>;
  /** Commission paid in total. */
  fees: number;
  initialPosition: BacktestTrade | null;
  trades: BacktestTrade[];
  metrics: BacktestMetrics;
  /** Per day of the window: parallel arrays. */
  equityCurve: { dates: IsoDate[]; equity: number[]; shares: number[]; close: number[] };
  /** Object-store keys of the HTML report and the SVG chart. */
  reportKey: string;
  chartKey: string;
  /** Where the report was stored: a file path or a URL. */
  reportUrl: string;
  /** When it was stored (ISO instant); set by the repository. */
  createdAt?: string;
  /** The inline rule as written, for a backtest of an unsaved rule (its chart and link redraw it); else absent. */
  rule?: unknown;
}

/** The limits of a backtest request: one definition for every door (API, CLI, playground, workflow). */
export const BACKTEST_LIMITS = {
  /** Smallest starting capital: below a cent, the equity curve underflows to nothing worth charting. */
  minCapital: 0.01,
  /** Largest starting capital. */
  maxCapital: 1e12,
  /** Largest commission in basis points (100 %). */
  maxFeesBps: 10_000,
  /** Largest fixed commission per fill. */
  maxCommissionPerTrade: 1e9,
  /** Slippage stays below 100 % (a sell at a price of zero). */
  slippageBpsBelow: 10_000,
  /** Longest strategy name (a rule's included): it is part of the backtest's id, which stays a readable URL segment. */
  maxStrategyNameLength: 40,
} as const;

/** A value as a message shows it: JSON, but NaN and Infinity by name. */
const shown = (value: unknown): string =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));

/**
 * Validate a request without touching storage: ticker format, strategy and
 * parameters, date formats and order, capital and fill options. Throws a
 * BadInputError that names the bad field (an unknown strategy lists the known ones).
 * Used at the edges (CLI, API) and again by the activity.
 */
export function checkBacktestRequestShape(
  request: BacktestRequest,
): Omit<CheckedBacktestRequest, 'from' | 'to'> & { from?: IsoDate; to?: IsoDate } {
  if (request === null || typeof request !== 'object') throw new BadInputError('backtest request must be an object');
  const ticker = parseTickerSymbol(request.ticker, 'ticker');
  const inlineRule = request.rule === undefined ? undefined : compileInlineRule(request.rule);
  if (inlineRule && request.strategy !== undefined && request.strategy !== inlineRule.name) {
    throw new BadInputError(
      `strategy ${shown(request.strategy)} is not the rule's name ${shown(inlineRule.name)} (leave it out with a rule)`,
      { field: 'strategy' },
    );
  }
  const strategy = inlineRule ?? withField('strategy', () => getStrategy(String(request.strategy)));
  const params = { ...strategy.parseParams(request.params) };
  for (const [name, value] of [
    ['from', request.from],
    ['to', request.to],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || !isIsoDate(value))) {
      throw new BadInputError(`${name}: ${JSON.stringify(value)} is not a valid date (expected YYYY-MM-DD)`, {
        field: name,
      });
    }
  }
  if (request.from && request.to && request.from > request.to)
    throw new BadInputError(`from ${request.from} is after to ${request.to}`, { field: 'from' });
  const capital = request.capital ?? 1000;
  if (typeof capital !== 'number' || !Number.isFinite(capital) || capital <= 0) {
    throw new BadInputError(`capital must be a positive number (got ${shown(request.capital)})`, {
      field: 'capital',
      problem:
        typeof capital === 'number'
          ? { code: 'too_small', minimum: BACKTEST_LIMITS.minCapital, inclusive: true }
          : { code: 'invalid_type', expected: 'number' },
    });
  }
  if (capital < BACKTEST_LIMITS.minCapital) {
    throw new BadInputError(`capital must be at least ${BACKTEST_LIMITS.minCapital} (got ${shown(capital)})`, {
      field: 'capital',
      problem: { code: 'too_small', minimum: BACKTEST_LIMITS.minCapital, inclusive: true },
    });
  }
  if (capital > BACKTEST_LIMITS.maxCapital) {
    throw new BadInputError(`capital must be at most ${BACKTEST_LIMITS.maxCapital} (got ${shown(capital)})`, {
      field: 'capital',
      problem: { code: 'too_big', maximum: BACKTEST_LIMITS.maxCapital, inclusive: true },
    });
  }
  const options: Required<BacktestOptions> = {
    commissionBps: nonNegative('feesBps', request.feesBps, BACKTEST_LIMITS.maxFeesBps),
    commissionPerTrade: nonNegative(
      'commissionPerTrade',
      request.commissionPerTrade,
      BACKTEST_LIMITS.maxCommissionPerTrade,
    ),
    slippageBps: nonNegative('slippageBps', request.slippageBps, Infinity),
    wholeShares: request.wholeShares ?? false,
    execution: request.execution ?? 'close',
  };
  if (options.slippageBps >= BACKTEST_LIMITS.slippageBpsBelow) {
    throw new BadInputError(
      `slippageBps must be below ${BACKTEST_LIMITS.slippageBpsBelow} (got ${options.slippageBps})`,
      {
        field: 'slippageBps',
        problem: { code: 'too_big', maximum: BACKTEST_LIMITS.slippageBpsBelow, inclusive: false },
      },
    );
  }
  if (typeof options.wholeShares !== 'boolean') {
    throw new BadInputError(`wholeShares must be true or false (got ${shown(options.wholeShares)})`, {
      field: 'wholeShares',
    });
  }
  if (options.execution !== 'close' && options.execution !== 'next_open') {
    throw new BadInputError(`execution must be close or next_open (got ${shown(options.execution)})`, {
      field: 'execution',
    });
  }
  return {
    ticker,
    strategy: strategy.name,
    ...(inlineRule ? { inlineRule } : {}),
    params,
    from: request.from,
    to: request.to,
    capital,
    options,
  };
}

/** An inline rule parsed and compiled by the one rule compiler; its errors name the field under `rule.`. */
function compileInlineRule(raw: unknown): Strategy<StrategyParams> {
  let strategy: Strategy<StrategyParams>;
  try {
    strategy = ruleStrategy(raw);
  } catch (err) {
    if (err instanceof BadInputError) {
      const named = err.field !== undefined && err.message.startsWith(err.field);
      throw new BadInputError(named ? `rule.${err.message}` : `rule: ${err.message}`, {
        field: err.field ? `rule.${err.field}` : 'rule',
      });
    }
    throw err;
  }
  if (strategy.name.length > BACKTEST_LIMITS.maxStrategyNameLength) {
    throw new BadInputError(
      `rule.name: at most ${BACKTEST_LIMITS.maxStrategyNameLength} characters for a backtest ` +
        `(got ${strategy.name.length})`,
      { field: 'rule.name' },
    );
  }
  return strategy;
}

/** `fn()`, its BadInputError (without a field of its own) attributed to `field`. */
function withField<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadInputError && !err.field) throw new BadInputError(err.message, { field });
    throw err;
  }
}

/** `value` (default 0) checked to be a number from 0 to `max`. */
function nonNegative(name: string, value: unknown, max: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BadInputError(`${name} must be a number >= 0 (got ${shown(value)})`, {
      field: name,
      problem:
        typeof value === 'number' && value < 0
          ? { code: 'too_small', minimum: 0, inclusive: true }
          : { code: 'invalid_type', expected: 'number' },
    });
  }
  if (value > max) {
    throw new BadInputError(`${name} must be at most ${max} (got ${shown(value)})`, {
      field: name,
      problem: { code: 'too_big', maximum: max, inclusive: true },
    });
  }
  return value;
}

/**
 * Engine fills paired into round trips for the metrics: each BUY (the
 * initial position included) opens a trade that the next SELL closes; a
 * trade still open on the last day is marked at the last close, exit fee not
 * paid. pnl is after both fills' commissions; returnPct is pnl over the
 * entry's cost (price x shares + fee); barsHeld counts trading days of `dates`.
 */
export function toRoundTrips(
  fills: readonly BacktestTrade[],
  dates: readonly IsoDate[],
  lastClose: number,
): MetricsTrade[] {
  const index = new Map(dates.map((date, i) => [date, i]));
  const dayOf = (date: IsoDate): number => {
    const i = index.get(date);
    if (i === undefined) throw new Error(`fill on ${date} is not a day of the backtest`);
    return i;
  };
  const trips: MetricsTrade[] = [];
  let entry: BacktestTrade | null = null;
  const close = (exitDate: IsoDate | null, exitIndex: number, exitPrice: number, exitFee: number) => {
    const open = entry!;
    const cost = open.shares * open.price + open.fee;
    const pnl = open.shares * exitPrice - exitFee - cost;
    trips.push({
      entryDate: open.date,
      exitDate,
      entryPrice: open.price,
      exitPrice,
      shares: open.shares,
      pnl,
      returnPct: (pnl / cost) * 100,
      barsHeld: exitIndex - dayOf(open.date),
    });
    entry = null;
  };
  for (const fill of fills) {
    if (fill.side === 'BUY') {
      if (entry) throw new Error(`BUY on ${fill.date} while a position is open`);
      entry = fill;
    } else {
      if (!entry) throw new Error(`SELL on ${fill.date} without an open position`);
      close(fill.date, dayOf(fill.date), fill.price, fill.fee);
    }
  }
  if (entry) close(null, dates.length - 1, lastClose, 0);
  return trips;
}

/** Every {@link BacktestMetrics} of an engine result (full output). */
export function backtestMetrics(
  result: BacktestResult,
  riskFreeRate = 0,
): { metrics: BacktestMetrics; roundTrips: MetricsTrade[] } {
  const fills = result.initialPosition ? [result.initialPosition, ...result.trades] : result.trades;
  const closes = Array.from(result.close);
  const roundTrips = toRoundTrips(fills, result.dates, closes[closes.length - 1]);
  const buySignalIndexes: number[] = [];
  result.signals.forEach((signal, i) => {
    if (signal === 'BUY') buySignalIndexes.push(i);
  });
  const computed = computeMetrics({
    initialCapital: result.initialCapital,
    dates: result.dates,
    equity: Array.from(result.equity),
    closes,
    inPosition: Array.from(result.shares, (s) => s > 0),
    trades: roundTrips,
    buySignalIndexes,
    riskFreeRate,
  });
  // The one return: the engine's figure, not a second rounding of the same ratio.
  const metrics = { ...computed, totalReturnPct: result.returnPct };
  return { metrics, roundTrips };
}

const summaryTrade = (t: BacktestTrade): BacktestSummaryTrade => ({
  date: t.date,
  side: t.side,
  price: t.price,
  shares: t.shares,
});

/** The summary of a stored backtest (what the workflow returns and the API serves). */
export function backtestSummary(record: BacktestRecord): BacktestSummary {
  return {
    id: record.id,
    ticker: record.ticker,
    strategy: record.strategy,
    params: record.params,
    startDate: record.startDate,
    endDate: record.endDate,
    initialCapital: record.initialCapital,
    finalCapital: record.finalCapital,
    returnPct: record.returnPct,
    orders: record.orders,
    roundTrips: record.metrics.roundTrips,
    trades: record.trades.map(summaryTrade),
    initialPosition: record.initialPosition ? summaryTrade(record.initialPosition) : null,
    metrics: record.metrics,
    report: record.reportUrl,
  };
}

/**
 * The request checked against storage: {@link checkBacktestRequestShape},
 * then the ticker must have stored bars ({@link UnknownTickerError}) and
 * `from`/`to` must fall inside them (the error names the date and the stored
 * range). Missing dates become the first and last stored days.
 */
export async function resolveBacktestRequest(
  request: BacktestRequest,
  storedRange: (ticker: string) => Promise<{ first: IsoDate; last: IsoDate } | null>,
): Promise<CheckedBacktestRequest> {
  const shaped = checkBacktestRequestShape(request);
  const range = await storedRange(shaped.ticker);
  if (!range) throw new UnknownTickerError(shaped.ticker);
  for (const [name, date] of [
    ['from', shaped.from],
    ['to', shaped.to],
  ] as const) {
    if (date !== undefined && (date < range.first || date > range.last)) {
      throw new BadInputError(
        `${name} ${date} is outside the stored data of ${shaped.ticker} (${range.first} to ${range.last})`,
        { field: name },
      );
    }
  }
  return { ...shaped, from: shaped.from ?? range.first, to: shaped.to ?? range.last };
}
