import type { IsoDate } from '../dates';
import { BadInputError } from '../errors';
import { buyAndHoldReturnPct } from './buy-and-hold';

/**
 * Backtest metrics: what serious backtesting tools report, computed from a
 * daily equity curve, the ticker's closes, the trade book and the BUY signals.
 *
 * Conventions shared by every metric below:
 * - Units: a key ending in `Pct` is a percentage (12.5 means 12.5 %); a key
 *   ending in `Days` counts trading days (rows of the series), never calendar
 *   days; money is in the backtest's currency; ratios are unitless.
 * - Daily returns: r_t = E_t / E_(t-1) - 1 for t = 1..n-1, where E is the
 *   equity curve and n its length (so there are n - 1 returns).
 * - Annualisation: P = `periodsPerYear` trading days a year (default 252);
 *   the period covers (n - 1) / P years.
 * - Risk-free rate: `riskFreeRate` is annual (default 0) and enters daily as
 *   rf_d = riskFreeRate / P.
 * - Standard deviations are sample deviations (divisor N - 1).
 * - JSON-safe: no value is ever NaN or ±Infinity. A metric that is undefined
 *   for the input (no trades, zero volatility, no losses, too short a series,
 *   an equity curve touching zero) is `null`, and the doc comment says when.
 * - Trade statistics (win rate to SQN) use closed trades only: an open
 *   trade's outcome is not known yet, and its marked-to-market value is
 *   already in the equity curve. `roundTrips` counts open trades too.
 */
export interface BacktestMetrics {
  /**
   * Total return: (E_last / C - 1) x 100, where C is `initialCapital` (the
   * cash before the first day's fills; default E_0). `null` for an empty series or C <= 0.
   */
  totalReturnPct: number | null;
  /**
   * Compound annual growth rate: ((E_last / C) ^ (P / (n - 1)) - 1) x 100, C as in totalReturnPct.
   * `null` when n < 2 (no time has passed) or C <= 0.
   */
  cagrPct: number | null;
  /**
   * Buy-and-hold return of the ticker over the same days:
   * (close_last / close_0 - 1) x 100. `null` for an empty series or close_0 <= 0.
   */
  buyAndHoldReturnPct: number | null;
  /** Exposure time: share of days in a position, count(inPosition) / n x 100. `null` when n = 0. */
  exposurePct: number | null;
  /** Annualised volatility: stdev(r) x sqrt(P) x 100. `null` with fewer than 2 daily returns. */
  volatilityPct: number | null;
  /**
   * Maximum drawdown, a positive magnitude (the sign convention everywhere:
   * API, CLI, report and web show 16.35 %, never -16.35 %): max over t of
   * (1 - E_t / max(E_0..E_t)) x 100. 0 when equity never falls below a
   * previous peak. The first of equally deep drawdowns is reported.
   */
  maxDrawdownPct: number | null;
  /** The day of the peak that the maximum drawdown fell from; `null` without a drawdown. */
  maxDrawdownPeakDate: IsoDate | null;
  /** The day of the maximum drawdown's lowest point; `null` without a drawdown. */
  maxDrawdownTroughDate: IsoDate | null;
  /**
   * The first day after the trough whose equity is back at or above the peak;
   * `null` when it never recovered (or there was no drawdown).
   */
  maxDrawdownRecoveryDate: IsoDate | null;
  /**
   * Duration of the maximum drawdown in trading days: index(recovery) -
   * index(peak), or index(last day) - index(peak) while not yet recovered.
   * 0 without a drawdown.
   */
  maxDrawdownDurationDays: number;
  /**
   * Sharpe ratio, annualised: (mean(r) - rf_d) / stdev(r) x sqrt(P).
   * `null` with fewer than 2 daily returns or zero volatility (a daily
   * deviation below 1e-12, which is rounding noise, counts as zero).
   */
  sharpe: number | null;
  /**
   * Sortino ratio, annualised: (mean(r) - rf_d) / DD x sqrt(P), where the
   * downside deviation DD = sqrt(mean over all n - 1 daily returns of
   * min(0, r_t - rf_d)^2) counts every day, not only the losing ones
   * (Sortino & Price, as empyrical). `null` when DD = 0 (no day below the
   * risk-free rate) or with fewer than 2 daily returns.
   */
  sortino: number | null;
  /**
   * Calmar ratio: CAGR / max drawdown (both as fractions). `null` when there
   * is no drawdown or no CAGR.
   */
  calmar: number | null;
  /** Round trips: each entry (a BUY, the initial position included) with its exit, still-open ones included. */
  roundTrips: number;
  /** Round trips still open on the last day (at most one for an all-in strategy). */
  openRoundTrips: number;
  /**
   * Win rate: closed trades with pnl > 0 / closed trades x 100. A break-even
   * trade (pnl = 0) is neither a win nor a loss but counts in the denominator.
   * `null` without closed trades.
   */
  winRatePct: number | null;
  /** Average trade return of the winning trades, mean(returnPct | pnl > 0). `null` without wins. */
  avgWinPct: number | null;
  /** Average trade return of the losing trades, mean(returnPct | pnl < 0), negative. `null` without losses. */
  avgLossPct: number | null;
  /**
   * Profit factor: sum(pnl of wins) / |sum(pnl of losses)|. `null` when there
   * is no losing trade (it would be infinite, or 0/0 without trades).
   */
  profitFactor: number | null;
  /**
   * Expectancy in money per closed trade: mean(pnl), which equals
   * winRate x avgWin - lossRate x |avgLoss| in money. `null` without closed trades.
   */
  expectancy: number | null;
  /** Expectancy as a trade return: mean(returnPct). `null` without closed trades. */
  expectancyPct: number | null;
  /** Best closed trade: max(returnPct). `null` without closed trades. */
  bestTradePct: number | null;
  /** Worst closed trade: min(returnPct). `null` without closed trades. */
  worstTradePct: number | null;
  /** Average closed-trade duration in trading days: mean(barsHeld). `null` without closed trades. */
  avgTradeDurationDays: number | null;
  /**
   * System Quality Number (Van Tharp): sqrt(N) x mean(returnPct) / stdev(returnPct)
   * over the N closed trades. Trade returns rather than money so that an
   * all-in strategy's later, larger positions do not dominate. `null` with
   * fewer than 2 closed trades or when every trade returned the same.
   */
  sqn: number | null;
  /** Number of BUY signals given. */
  numBuySignals: number;
  /**
   * Signal hit rate at 5 trading days: BUY signals on day i with
   * close[i + 5] > close[i], over the signals with i + 5 <= n - 1 (signals
   * too close to the end are left out of the denominator) x 100.
   * `null` when no signal qualifies.
   */
  hitRate5dPct: number | null;
  /** Signal hit rate at 20 trading days; defined as {@link BacktestMetrics.hitRate5dPct}. */
  hitRate20dPct: number | null;
  /** Signal hit rate at 60 trading days; defined as {@link BacktestMetrics.hitRate5dPct}. */
  hitRate60dPct: number | null;
}

/** A round trip as the metrics need it; `exitDate` is `null` while still open. */
export interface MetricsTrade {
  entryDate: IsoDate;
  /** `null` for a trade still open on the last day (its exit values are marked at the last close). */
  exitDate: IsoDate | null;
  entryPrice: number;
  exitPrice: number;
  shares: number;
  /** Profit or loss in money, after costs. */
  pnl: number;
  /** The trade's return in percent (10 means +10 %). */
  returnPct: number;
  /** Trading days between entry and exit. */
  barsHeld: number;
}

/** Everything {@link computeMetrics} reads; all per-day arrays have the same length. */
export interface MetricsInput {
  /** The backtest's trading days, ascending. */
  dates: IsoDate[];
  /** Portfolio value at each day's close. */
  equity: number[];
  /** The ticker's close on each day (for buy-and-hold and the hit rate). */
  closes: number[];
  /** Whether a position was held at each day's close (for exposure). */
  inPosition: boolean[];
  trades: MetricsTrade[];
  /** Day indexes (into `dates`) on which the strategy said BUY. */
  buySignalIndexes: number[];
  /** Annual risk-free rate as a fraction (0.02 = 2 %); default 0. */
  riskFreeRate?: number;
  /** Trading days per year for annualisation; default 252. */
  periodsPerYear?: number;
  /** The starting cash, the base of the total return and CAGR (default: the first day's equity). */
  initialCapital?: number;
}

/**
 * Metrics stored before the trade counts were named apart (`numTrades` and
 * `numOpenTrades` counted round trips) under today's names.
 */
export function upgradeStoredMetrics(
  stored:
    | BacktestMetrics
    | (Omit<BacktestMetrics, 'roundTrips' | 'openRoundTrips'> & { numTrades: number; numOpenTrades: number }),
): BacktestMetrics {
  if ('roundTrips' in stored) return stored;
  const { numTrades, numOpenTrades, ...rest } = stored;
  return { ...rest, roundTrips: numTrades, openRoundTrips: numOpenTrades };
}

/** Below this a deviation is floating-point noise (e.g. a steady 10 % a day), not risk. */
const ZERO_DEVIATION = 1e-12;

/**
 * Compute every {@link BacktestMetrics} from one backtest's series and trades.
 * Pure and JSON-safe (see the conventions on {@link BacktestMetrics}).
 * Throws {@link BadInputError} when the per-day arrays differ in length or a
 * signal index is outside the series.
 */
export function computeMetrics(input: MetricsInput): BacktestMetrics {
  const { dates, equity, closes, inPosition, trades, buySignalIndexes } = input;
  const periodsPerYear = input.periodsPerYear ?? 252;
  const riskFreeRate = input.riskFreeRate ?? 0;
  validate(input, periodsPerYear);

  const n = equity.length;
  const first = input.initialCapital ?? equity[0];
  const last = equity[n - 1];
  const returns = dailyReturns(equity);
  const dailyRiskFree = riskFreeRate / periodsPerYear;
  const growth = n > 0 && first > 0 ? last / first : null;
  const cagr = growth !== null && n >= 2 && growth >= 0 ? growth ** (periodsPerYear / (n - 1)) - 1 : null;
  const drawdown = maxDrawdown(dates, equity);

  const closed = trades.filter((t) => t.exitDate !== null);
  const wins = closed.filter((t) => t.pnl > 0);
  const losses = closed.filter((t) => t.pnl < 0);
  const grossProfit = sum(wins.map((t) => t.pnl));
  const grossLoss = -sum(losses.map((t) => t.pnl));
  const tradeReturns = closed.map((t) => t.returnPct);
  const tradeReturnDeviation = sampleStdev(tradeReturns);

  const returnDeviation = sampleStdev(returns);
  const meanReturn = mean(returns);
  const excessMean = returns.length >= 2 && meanReturn !== null ? meanReturn - dailyRiskFree : null;
  const downside = returns.length >= 2 ? downsideDeviation(returns, dailyRiskFree) : null;

  return {
    totalReturnPct: safe(growth === null ? null : (growth - 1) * 100),
    cagrPct: safe(cagr === null ? null : cagr * 100),
    buyAndHoldReturnPct: safe(buyAndHoldReturnPct(closes)),
    exposurePct: safe(n > 0 ? (inPosition.filter(Boolean).length / n) * 100 : null),
    volatilityPct: safe(returnDeviation === null ? null : returnDeviation * Math.sqrt(periodsPerYear) * 100),
    maxDrawdownPct: safe(n > 0 ? drawdown.depth * 100 : null),
    maxDrawdownPeakDate: drawdown.peakDate,
    maxDrawdownTroughDate: drawdown.troughDate,
    maxDrawdownRecoveryDate: drawdown.recoveryDate,
    maxDrawdownDurationDays: drawdown.durationDays,
    sharpe: safe(ratio(excessMean, returnDeviation, periodsPerYear)),
    sortino: safe(ratio(excessMean, downside, periodsPerYear)),
    calmar: safe(cagr !== null && drawdown.depth > 0 ? cagr / drawdown.depth : null),
    roundTrips: trades.length,
    openRoundTrips: trades.length - closed.length,
    winRatePct: safe(closed.length > 0 ? (wins.length / closed.length) * 100 : null),
    avgWinPct: safe(mean(wins.map((t) => t.returnPct))),
    avgLossPct: safe(mean(losses.map((t) => t.returnPct))),
    profitFactor: safe(losses.length > 0 ? grossProfit / grossLoss : null),
    expectancy: safe(mean(closed.map((t) => t.pnl))),
    expectancyPct: safe(mean(tradeReturns)),
    bestTradePct: safe(closed.length > 0 ? Math.max(...tradeReturns) : null),
    worstTradePct: safe(closed.length > 0 ? Math.min(...tradeReturns) : null),
    avgTradeDurationDays: safe(mean(closed.map((t) => t.barsHeld))),
    sqn: safe(
      tradeReturnDeviation !== null && tradeReturnDeviation > ZERO_DEVIATION
        ? (Math.sqrt(closed.length) * (mean(tradeReturns) ?? 0)) / tradeReturnDeviation
        : null,
    ),
    numBuySignals: buySignalIndexes.length,
    hitRate5dPct: safe(hitRate(closes, buySignalIndexes, 5)),
    hitRate20dPct: safe(hitRate(closes, buySignalIndexes, 20)),
    hitRate60dPct: safe(hitRate(closes, buySignalIndexes, 60)),
  };
}

/**
 * Share (in percent) of BUY signals followed by a higher close `horizon`
 * trading days later; signals with fewer than `horizon` days left are not
 * counted. `null` when no signal qualifies.
 */
export function hitRate(
  closes: readonly number[],
  buySignalIndexes: readonly number[],
  horizon: number,
): number | null {
  const judged = buySignalIndexes.filter((i) => i + horizon <= closes.length - 1);
  if (judged.length === 0) return null;
  const hits = judged.filter((i) => closes[i + horizon] > closes[i]).length;
  return (hits / judged.length) * 100;
}

interface Drawdown {
  /** As a fraction of the peak, 0 without a drawdown. */
  depth: number;
  peakDate: IsoDate | null;
  troughDate: IsoDate | null;
  recoveryDate: IsoDate | null;
  durationDays: number;
}

function maxDrawdown(dates: readonly IsoDate[], equity: readonly number[]): Drawdown {
  let peakIndex = 0;
  let best = { depth: 0, peak: -1, trough: -1 };
  for (let i = 0; i < equity.length; i++) {
    if (equity[i] > equity[peakIndex]) peakIndex = i;
    const depth = equity[peakIndex] > 0 ? 1 - equity[i] / equity[peakIndex] : 0;
    // Strictly deeper only, so the first of equally deep drawdowns wins.
    if (depth > best.depth) best = { depth, peak: peakIndex, trough: i };
  }
  if (best.peak < 0) {
    return { depth: 0, peakDate: null, troughDate: null, recoveryDate: null, durationDays: 0 };
  }
  let recovery = -1;
  for (let i = best.trough + 1; i < equity.length; i++) {
    if (equity[i] >= equity[best.peak]) {
      recovery = i;
      break;
    }
  }
  const end = recovery >= 0 ? recovery : equity.length - 1;
  return {
    depth: best.depth,
    peakDate: dates[best.peak],
    troughDate: dates[best.trough],
    recoveryDate: recovery >= 0 ? dates[recovery] : null,
    durationDays: end - best.peak,
  };
}

function validate(input: MetricsInput, periodsPerYear: number): void {
  const n = input.dates.length;
  const lengths = { equity: input.equity.length, closes: input.closes.length, inPosition: input.inPosition.length };
  for (const [name, length] of Object.entries(lengths)) {
    if (length !== n) throw new BadInputError(`metrics: ${name} has ${length} values for ${n} dates`);
  }
  const outside = input.buySignalIndexes.find((i) => !Number.isInteger(i) || i < 0 || i >= n);
  if (outside !== undefined) throw new BadInputError(`metrics: BUY signal index ${outside} is outside the ${n} days`);
  if (!(periodsPerYear > 0)) throw new BadInputError(`metrics: periodsPerYear must be positive, got ${periodsPerYear}`);
}

function dailyReturns(equity: readonly number[]): number[] {
  const returns: number[] = [];
  for (let t = 1; t < equity.length; t++) returns.push(equity[t] / equity[t - 1] - 1);
  return returns;
}

/** Annualised ratio of a mean daily excess return to a daily deviation; `null` when undefined. */
function ratio(excessMean: number | null, deviation: number | null, periodsPerYear: number): number | null {
  if (excessMean === null || deviation === null || !(deviation > ZERO_DEVIATION)) return null;
  return (excessMean / deviation) * Math.sqrt(periodsPerYear);
}

function downsideDeviation(returns: readonly number[], target: number): number {
  const squares = returns.map((r) => Math.min(0, r - target) ** 2);
  return Math.sqrt(sum(squares) / returns.length);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function mean(values: readonly number[]): number | null {
  return values.length > 0 ? sum(values) / values.length : null;
}

function sampleStdev(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = sum(values) / values.length;
  return Math.sqrt(sum(values.map((v) => (v - m) ** 2)) / (values.length - 1));
}

/** JSON-safe number: NaN and ±Infinity become `null`. */
function safe(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
