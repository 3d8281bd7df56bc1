import type { IsoDate } from '../dates';
import { BadInputError } from '../errors';
import { BarSeries } from '../strategies/bar-series';
import { getStrategy } from '../strategies/registry';
import { evaluateSignals, initialMachineState, SIGNAL_CODE, SIGNAL_OF_CODE } from '../strategies/state-machine';
import type { Signal } from '../strategies/strategy';
import type {
  BacktestInput,
  BacktestOptions,
  BacktestResult,
  BacktestTrade,
  SerializedBacktestResult,
} from './backtest.types';

const NO_ORDER = 0;
const BUY_ORDER = 1;
const SELL_ORDER = 2;
// Module-local copies for the hot loop: a bundler may turn imported bindings into getters.
const BUY_SIGNAL = SIGNAL_CODE.BUY;
const SELL_SIGNAL = SIGNAL_CODE.SELL;

/**
 * Backtests one strategy on one ticker's bars. The default reproduces the old
 * backtester (SEED.md "Backtest") exactly:
 * - the window's first day initialises the strategy state; if it starts
 *   open, all the capital buys `C / close[first]` shares at that close
 *   ({@link BacktestResult.initialPosition}: not a trade, as in the old count);
 * - every later day runs the strategy (the same state machine as the daily
 *   job, {@link evaluateSignals}); BUY buys as many fractional shares as the
 *   cash buys at that day's close, SELL sells all at that close; each is one trade;
 * - an open position at the end is valued at the last close (not a trade);
 * - returnPct = (final - initial) / initial * 100 rounded to 2 places.
 * Indicators come from the bars before the window too (the caller passes
 * history before `startDate`). Options add commissions, slippage, whole
 * shares and next-open execution. A BUY the cash cannot pay for (whole
 * shares, fees) and a SELL with nothing held are not filled.
 *
 * Throws BadInputError for an unknown strategy, bad parameters or options,
 * or a window outside the bars.
 */
export function runBacktest(input: BacktestInput): BacktestResult {
  const strategy = typeof input.strategy === 'string' ? getStrategy(input.strategy) : input.strategy;
  const params = strategy.parseParams(input.params);
  const options = checkOptions(input.options ?? {});
  const initialCapital = input.initialCapital ?? 1000;
  if (typeof initialCapital !== 'number' || !Number.isFinite(initialCapital) || initialCapital <= 0) {
    throw new BadInputError(`initialCapital must be a positive number (got ${JSON.stringify(input.initialCapital)})`);
  }
  const full = (input.output ?? 'full') === 'full';
  const series = BarSeries.from(input.bars);
  const { start, end } = window(series, input.startDate, input.endDate);
  const n = series.length;
  // Scratch buffers owned by the series: a sweep allocates them once per ticker, not once per run.
  const prepared = strategy.prepare(
    series,
    params,
    series.memo('scratch:events', () => new Uint8Array(n)),
  );
  const codes = series.memo('scratch:codes', () => new Int8Array(n));
  evaluateSignals(prepared, initialMachineState(prepared, start), start + 1, end, codes);

  const { close, open, dates } = series;
  const slip = options.slippageBps / 10_000;
  const commissionRate = options.commissionBps / 10_000;
  const fixedFee = options.commissionPerTrade;
  const wholeShares = options.wholeShares;
  const nextOpen = options.execution === 'next_open';
  const days = end - start + 1;
  const curves = full ? new Float64Array(2 * days) : undefined;
  const trades: BacktestTrade[] = [];
  let initialPosition: BacktestTrade | null = null;
  let cash = initialCapital;
  let shares = 0;
  let fees = 0;

  /** Fills an order on day `i` decided on `signalDay`; null when there is nothing to fill. */
  const fill = (side: number, i: number, signalDay: number): BacktestTrade | null => {
    const base = nextOpen ? open[i] : close[i];
    if (side === BUY_ORDER) {
      if (shares > 0) return null;
      const price = base * (1 + slip);
      let bought = (cash - fixedFee) / (price * (1 + commissionRate));
      if (wholeShares) bought = Math.floor(bought);
      if (!(bought > 0)) return null;
      const fee = fixedFee + bought * price * commissionRate;
      // All-in with fractional shares spends exactly the cash (the old backtester kept none).
      cash = wholeShares ? cash - bought * price - fee : 0;
      shares = bought;
      fees += fee;
      return { date: dates[i], side: 'BUY', price, shares: bought, fee, signalDate: dates[signalDay] };
    }
    if (shares === 0) return null;
    const price = base * (1 - slip);
    const sold = shares;
    const fee = fixedFee + sold * price * commissionRate;
    cash += sold * price - fee;
    shares = 0;
    fees += fee;
    return { date: dates[i], side: 'SELL', price, shares: sold, fee, signalDate: dates[signalDay] };
  };

  // Started open on the first day: the old backtester bought the position then.
  let pending = NO_ORDER;
  let pendingSince = start;
  let pendingIsInitial = false;
  if (prepared.initiallyOpen(start)) {
    if (nextOpen) {
      pending = BUY_ORDER;
      pendingIsInitial = true;
    } else initialPosition = fill(BUY_ORDER, start, start);
  }
  if (curves) {
    curves[0] = cash + shares * close[start];
    curves[days] = shares;
  }
  for (let i = start + 1; i <= end; i++) {
    if (pending !== NO_ORDER) {
      const trade = fill(pending, i, pendingSince);
      if (trade && pendingIsInitial) initialPosition = trade;
      else if (trade) trades.push(trade);
      pending = NO_ORDER;
      pendingIsInitial = false;
    }
    const code = codes[i];
    if (code === BUY_SIGNAL || code === SELL_SIGNAL) {
      const order = code === BUY_SIGNAL ? BUY_ORDER : SELL_ORDER;
      if (nextOpen) {
        pending = order;
        pendingSince = i;
      } else {
        const trade = fill(order, i, i);
        if (trade) trades.push(trade);
      }
    }
    if (curves) {
      curves[i - start] = cash + shares * close[i];
      curves[days + i - start] = shares;
    }
  }

  const finalCapital = cash + shares * close[end];
  let signals: Array<Signal | null> = [];
  if (full) {
    signals = new Array<Signal | null>(days);
    signals[0] = null;
    const names = SIGNAL_OF_CODE;
    for (let i = start + 1; i <= end; i++) signals[i - start] = names[codes[i]];
  }
  return {
    strategy: strategy.name,
    strategyVersion: strategy.version,
    params,
    startDate: dates[start],
    endDate: dates[end],
    initialCapital,
    finalCapital,
    returnPct: roundHalfEven2(((finalCapital - initialCapital) / initialCapital) * 100),
    orders: trades.length,
    initialPosition,
    trades,
    fees,
    dates: full ? dates.slice(start, end + 1) : [],
    equity: curves ? curves.subarray(0, days) : EMPTY,
    shares: curves ? curves.subarray(days) : EMPTY,
    close: full ? close.subarray(start, end + 1) : EMPTY,
    signals,
  };
}

const EMPTY = new Float64Array(0);

/**
 * The result as plain JSON (typed arrays do not survive JSON, e.g. Temporal's
 * payload converter): the per-day arrays become `equityCurve` and `signals` lists.
 */
export function serializeBacktest(result: BacktestResult): SerializedBacktestResult {
  const { equity, shares, close, dates, signals, ...summary } = result;
  return {
    ...summary,
    equityCurve: dates.map((date, i) => ({ date, equity: equity[i], shares: shares[i], close: close[i] })),
    signals: dates.map((date, i) => ({ date, signal: signals[i] })),
  };
}

/** The window's bar indices; BadInputError naming the date when it is outside the bars. */
function window(
  series: BarSeries,
  startDate: IsoDate | undefined,
  endDate: IsoDate | undefined,
): { start: number; end: number } {
  const n = series.length;
  if (n === 0) throw new BadInputError('no bars to backtest');
  const first = series.dates[0];
  const last = series.dates[n - 1];
  if (startDate !== undefined && (startDate < first || startDate > last)) {
    throw new BadInputError(`startDate ${startDate} is outside the stored data (${first} to ${last})`);
  }
  if (endDate !== undefined && (endDate < first || endDate > last)) {
    throw new BadInputError(`endDate ${endDate} is outside the stored data (${first} to ${last})`);
  }
  if (startDate !== undefined && endDate !== undefined && startDate > endDate) {
    throw new BadInputError(`startDate ${startDate} is after endDate ${endDate}`);
  }
  const start = startDate === undefined ? 0 : series.indexOnOrAfter(startDate);
  const end = endDate === undefined ? n - 1 : series.indexOnOrBefore(endDate);
  if (start > end) throw new BadInputError(`no trading day between startDate ${startDate} and endDate ${endDate}`);
  return { start, end };
}

/** Options with defaults; BadInputError naming the bad one. */
function checkOptions(options: BacktestOptions): Required<BacktestOptions> {
  const checked = {
    commissionPerTrade: options.commissionPerTrade ?? 0,
    commissionBps: options.commissionBps ?? 0,
    slippageBps: options.slippageBps ?? 0,
    wholeShares: options.wholeShares ?? false,
    execution: options.execution ?? 'close',
  };
  for (const key of ['commissionPerTrade', 'commissionBps', 'slippageBps'] as const) {
    const value = checked[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new BadInputError(`backtest option ${key} must be a number >= 0 (got ${JSON.stringify(value)})`);
    }
  }
  if (checked.slippageBps >= 10_000)
    throw new BadInputError(`backtest option slippageBps must be below 10000 (got ${checked.slippageBps})`);
  if (typeof checked.wholeShares !== 'boolean')
    throw new BadInputError(`backtest option wholeShares must be true or false`);
  if (checked.execution !== 'close' && checked.execution !== 'next_open') {
    throw new BadInputError(
      `backtest option execution must be close or next_open (got ${JSON.stringify(checked.execution)})`,
    );
  }
  return checked;
}

/**
 * `value` rounded to 2 decimals like Python's `round(value, 2)`: to the
 * nearest, and on an exact tie (only values whose 8x is an odd integer are
 * exact binary ties at 2 decimals) to the even neighbour.
 */
export function roundHalfEven2(value: number): number {
  const scaled = value * 8;
  if (Number.isInteger(scaled) && !Number.isInteger(value * 4)) {
    const lower = Math.floor(value * 100) / 100;
    const upper = Math.ceil(value * 100) / 100;
    return Math.round(lower * 100) % 2 === 0 ? lower : upper;
  }
  return Number(value.toFixed(2));
}
