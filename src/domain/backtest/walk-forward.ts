import { buyAndHoldReturnPct } from './buy-and-hold';
import type { EnrichedBar } from '../bar';
import type { IsoDate } from '../dates';
import { BadInputError } from '../errors';
import { BarSeries } from '../strategies/bar-series';
import { getStrategy } from '../strategies/registry';
import type { AnyStrategy, StrategyParams } from '../strategies/strategy';
import { runBacktest } from './engine';
import {
  addEquityPath,
  compareRows,
  newEquityStats,
  sharpeOf,
  sweepSeries,
  type EquityStats,
  type SweepRow,
} from './sweep';

/*
 * Walk-forward evaluation: an honest answer to "which strategy should I
 * follow on this ticker?". Rolling windows: each train window picks a
 * strategy's parameters (on the train bars only), the following test window
 * judges them. Strategies are ranked on the stitched test windows alone, so
 * nothing that picked the parameters is counted as evidence.
 */

/** The window layout and the minimums. */
export interface WalkForwardOptions {
  /** Trading days of a train window (default 504: two years). */
  trainDays?: number;
  /** Trading days of a test window (default 126: half a year). */
  testDays?: number;
  /** Trading days the windows move by (default `testDays`: test windows abut without overlapping). */
  stepDays?: number;
  /** A parameter set is chosen on a train window only if it traded at least this often there (default 2). */
  minTrainTrades?: number;
  /** A strategy is eligible only with at least this many trades over all its test windows (default 4). */
  minTestTrades?: number;
  /** When true (default), a strategy is recommended only if its out-of-sample Sharpe beats buy-and-hold's over the same test windows. */
  mustBeatBaseline?: boolean;
  initialCapital?: number;
}

/** Default window layout and minimums. */
export const WALK_FORWARD_DEFAULTS: Required<WalkForwardOptions> = {
  trainDays: 504,
  testDays: 126,
  stepDays: 126,
  minTrainTrades: 2,
  minTestTrades: 4,
  mustBeatBaseline: true,
  initialCapital: 1000,
};

/** One train/test split, as bar indices (inclusive). */
export interface WindowBounds {
  trainStart: number;
  trainEnd: number;
  testStart: number;
  testEnd: number;
}

/**
 * The rolling windows over `length` bars: train [k*step, k*step + train - 1],
 * test the `testDays` bars right after it; only whole test windows. The
 * test window always starts after the train window ends.
 */
export function walkForwardWindows(length: number, options: WalkForwardOptions = {}): WindowBounds[] {
  const { trainDays, testDays, stepDays } = resolveOptions(options);
  const out: WindowBounds[] = [];
  for (let trainStart = 0; trainStart + trainDays + testDays <= length; trainStart += stepDays) {
    const trainEnd = trainStart + trainDays - 1;
    out.push({ trainStart, trainEnd, testStart: trainEnd + 1, testEnd: trainEnd + testDays });
  }
  return out;
}

/** Out-of-sample figures of one test window or of all of them stitched together. */
export interface OutOfSample {
  /** Compounded return over the test days, in percent. */
  returnPct: number;
  /** Annualised Sharpe of the test days' daily returns (risk-free 0); null without volatility. */
  sharpe: number | null;
  /** Maximum drawdown, a positive magnitude in percent (as BacktestMetrics.maxDrawdownPct). */
  maxDrawdownPct: number;
  /** Orders filled in the test windows (BUY and SELL, the old trade count). */
  trades: number;
}

/** What happened in one window for one strategy. */
export interface WindowEvidence {
  trainFrom: IsoDate;
  trainTo: IsoDate;
  testFrom: IsoDate;
  testTo: IsoDate;
  /** Chosen on the train window; null when no set traded `minTrainTrades` times there (the strategy stays in cash for the test window). */
  params: StrategyParams | null;
  /** The chosen set's train figures (in sample, shown for comparison, never used to rank). */
  train: { sharpe: number | null; returnPct: number; trades: number } | null;
  /** The chosen set on the test window. */
  test: OutOfSample;
  /** Buy-and-hold over the same test window, in percent. */
  buyAndHoldReturnPct: number;
}

/** One strategy's walk-forward record on a ticker. */
export interface CandidateEvidence {
  strategy: string;
  /** Every test window stitched (the ranking's only input). */
  outOfSample: OutOfSample;
  windows: WindowEvidence[];
  /** The parameters it would use from now on: chosen on the latest `trainDays` bars. */
  currentParams: StrategyParams | null;
  eligible: boolean;
  /** Why not eligible. */
  reason?: string;
}

/** A strategy and its parameter sets to try. */
export interface WalkForwardCandidate {
  strategy: AnyStrategy | string;
  combos: readonly StrategyParams[];
}

/** The recommendation for one ticker, or why there is none. */
export interface WalkForwardResult {
  /** Bars used (all of the ticker's). */
  bars: number;
  windows: number;
  /** Candidates ranked: eligible ones by out-of-sample Sharpe (then return), then the rest. */
  candidates: CandidateEvidence[];
  /** buy_and_hold over the same test windows: the baseline to beat. */
  baseline: OutOfSample | null;
  recommendation: { strategy: string; params: StrategyParams; outOfSample: OutOfSample } | null;
  /** Why there is no recommendation. */
  reason?: string;
}

/**
 * Walk-forward recommendation for one ticker. For every candidate strategy
 * and window: backtest every parameter set on the train window, choose the
 * best by train Sharpe among sets with at least `minTrainTrades` trades
 * (ties: higher return, then grid order), and backtest the choice on the test
 * window (a fresh start there: flat or open as the strategy says on its first
 * day). The test windows are stitched into one out-of-sample path per
 * strategy. A strategy is eligible with at least `minTestTrades`
 * out-of-sample trades, a positive out-of-sample Sharpe and current
 * parameters (chosen on the latest `trainDays` bars); the recommendation is
 * the eligible strategy with the best out-of-sample Sharpe, provided it beats
 * buy-and-hold's out-of-sample Sharpe (`mustBeatBaseline`).
 *
 * No choice ever reads a bar after its train window: indicators at a bar
 * depend only on earlier bars, and train backtests end at the window's end.
 * Throws BadInputError for an unknown strategy or bad parameters.
 */
export function walkForward(input: {
  bars: readonly EnrichedBar[] | BarSeries;
  candidates: readonly WalkForwardCandidate[];
  options?: WalkForwardOptions;
}): WalkForwardResult {
  const options = resolveOptions(input.options ?? {});
  const series = BarSeries.from(input.bars);
  const windows = walkForwardWindows(series.length, options);
  if (windows.length === 0) {
    return {
      bars: series.length,
      windows: 0,
      candidates: [],
      baseline: null,
      recommendation: null,
      reason: `too little history: ${series.length} bars, a walk-forward needs at least ${options.trainDays + options.testDays} (train ${options.trainDays} + test ${options.testDays})`,
    };
  }
  const baseline = evaluateBaseline(series, windows, options);
  const candidates = input.candidates.map((c) =>
    evaluateCandidate(
      series,
      typeof c.strategy === 'string' ? getStrategy(c.strategy) : c.strategy,
      c.combos,
      windows,
      options,
    ),
  );
  candidates.sort((a, b) =>
    a.eligible === b.eligible ? compareRows(asRow(a.outOfSample), asRow(b.outOfSample)) : a.eligible ? -1 : 1,
  );

  const best = candidates.find((c) => c.eligible);
  let reason: string | undefined;
  if (!best) {
    reason =
      candidates.length === 0
        ? 'no candidate strategy'
        : `no strategy met the minimums out of sample (${candidates.map((c) => `${c.strategy}: ${c.reason}`).join('; ')})`;
  } else if (
    options.mustBeatBaseline &&
    baseline &&
    (best.outOfSample.sharpe ?? -Infinity) <= (baseline.sharpe ?? -Infinity)
  ) {
    reason = `buy_and_hold did better out of sample (Sharpe ${fmt(baseline.sharpe)}, return ${baseline.returnPct.toFixed(2)}%) than the best eligible strategy, ${best.strategy} (Sharpe ${fmt(best.outOfSample.sharpe)}, return ${best.outOfSample.returnPct.toFixed(2)}%)`;
  }
  return {
    bars: series.length,
    windows: windows.length,
    candidates,
    baseline,
    recommendation:
      best && !reason ? { strategy: best.strategy, params: best.currentParams!, outOfSample: best.outOfSample } : null,
    ...(reason ? { reason } : {}),
  };
}

function evaluateCandidate(
  series: BarSeries,
  strategy: AnyStrategy,
  combos: readonly StrategyParams[],
  windows: readonly WindowBounds[],
  options: Required<WalkForwardOptions>,
): CandidateEvidence {
  if (combos.length === 0) throw new BadInputError(`walk-forward: no parameter set for ${strategy.name}`);
  const { dates, close } = series;
  const capital = options.initialCapital;
  const stitched = newEquityStats(capital);
  let trades = 0;
  const evidence: WindowEvidence[] = windows.map((w) => {
    const chosen = chooseOnTrain(series, strategy, combos, w.trainStart, w.trainEnd, options);
    const testStats = newEquityStats(capital);
    let testTrades = 0;
    if (chosen) {
      const result = runBacktest({
        bars: series,
        strategy,
        params: chosen.params,
        startDate: dates[w.testStart],
        endDate: dates[w.testEnd],
        initialCapital: capital,
        output: 'summary',
      });
      addEquityPath(testStats, series, result);
      addEquityPath(stitched, series, result);
      testTrades = result.orders;
    } else {
      flatPath(stitched, w.testEnd - w.testStart);
      flatPath(testStats, w.testEnd - w.testStart);
    }
    trades += testTrades;
    return {
      trainFrom: dates[w.trainStart],
      trainTo: dates[w.trainEnd],
      testFrom: dates[w.testStart],
      testTo: dates[w.testEnd],
      params: chosen?.params ?? null,
      train: chosen ? { sharpe: chosen.sharpe, returnPct: chosen.returnPct, trades: chosen.numTrades } : null,
      test: outOfSample(testStats, capital, testTrades),
      buyAndHoldReturnPct: buyAndHoldReturnPct(close, w.testStart, w.testEnd) ?? 0,
    };
  });
  const latest = chooseOnTrain(
    series,
    strategy,
    combos,
    Math.max(0, series.length - options.trainDays),
    series.length - 1,
    options,
  );
  const oos = outOfSample(stitched, capital, trades);
  let reason: string | undefined;
  if (trades < options.minTestTrades)
    reason = `${trades} out-of-sample trades, fewer than the minimum ${options.minTestTrades}`;
  else if (oos.sharpe === null) reason = 'no out-of-sample volatility (Sharpe undefined)';
  else if (oos.sharpe <= 0) reason = `out-of-sample Sharpe ${fmt(oos.sharpe)} is not positive`;
  else if (!latest)
    reason = `no parameter set traded ${options.minTrainTrades} times on the latest ${options.trainDays} bars`;
  return {
    strategy: strategy.name,
    outOfSample: oos,
    windows: evidence,
    currentParams: latest?.params ?? null,
    eligible: reason === undefined,
    ...(reason ? { reason } : {}),
  };
}

/** The best parameter set on bars [start, end] with at least `minTrainTrades` trades; null when none qualifies. */
function chooseOnTrain(
  series: BarSeries,
  strategy: AnyStrategy,
  combos: readonly StrategyParams[],
  start: number,
  end: number,
  options: Required<WalkForwardOptions>,
): SweepRow | null {
  const rows = sweepSeries({
    bars: series,
    strategy,
    combos,
    startDate: series.dates[start],
    endDate: series.dates[end],
    initialCapital: options.initialCapital,
  });
  let best: SweepRow | null = null;
  for (const row of rows) {
    if (row.numTrades < options.minTrainTrades) continue;
    if (best === null || compareRows(row, best) < 0) best = row;
  }
  return best;
}

/** buy_and_hold over each test window, stitched. */
function evaluateBaseline(
  series: BarSeries,
  windows: readonly WindowBounds[],
  options: Required<WalkForwardOptions>,
): OutOfSample {
  const stats = newEquityStats(options.initialCapital);
  for (const w of windows) {
    const result = runBacktest({
      bars: series,
      strategy: 'buy_and_hold',
      startDate: series.dates[w.testStart],
      endDate: series.dates[w.testEnd],
      initialCapital: options.initialCapital,
      output: 'summary',
    });
    addEquityPath(stats, series, result);
  }
  return outOfSample(stats, options.initialCapital, 0);
}

/** `days` days in cash: zero returns, equity unchanged. */
function flatPath(stats: EquityStats, days: number): void {
  for (let d = 0; d < days; d++) {
    stats.count += 1;
    const delta = 0 - stats.mean;
    stats.mean += delta / stats.count;
    stats.m2 += delta * (0 - stats.mean);
  }
  if (stats.equity < stats.peak)
    stats.maxDrawdownPct = Math.max(stats.maxDrawdownPct, (1 - stats.equity / stats.peak) * 100);
}

function outOfSample(stats: EquityStats, capital: number, trades: number): OutOfSample {
  return {
    returnPct: (stats.equity / capital - 1) * 100,
    sharpe: sharpeOf(stats),
    maxDrawdownPct: stats.maxDrawdownPct,
    trades,
  };
}

const asRow = (o: OutOfSample) => ({ sharpe: o.sharpe, returnPct: o.returnPct });
const fmt = (v: number | null) => (v === null ? 'undefined' : v.toFixed(2));

function resolveOptions(options: WalkForwardOptions): Required<WalkForwardOptions> {
  const testDays = options.testDays ?? WALK_FORWARD_DEFAULTS.testDays;
  const resolved = {
    ...WALK_FORWARD_DEFAULTS,
    ...stripUndefined(options),
    stepDays: options.stepDays ?? testDays,
    testDays,
  };
  for (const key of ['trainDays', 'testDays', 'stepDays'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 2)
      throw new BadInputError(`walk-forward option ${key} must be a whole number >= 2 (got ${resolved[key]})`);
  }
  for (const key of ['minTrainTrades', 'minTestTrades'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 0)
      throw new BadInputError(`walk-forward option ${key} must be a whole number >= 0 (got ${resolved[key]})`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Small default grids per strategy for `algo recommend` (a few dozen backtests per window in all). */
export const DEFAULT_RECOMMEND_GRIDS: Readonly<Record<string, string>> = {
  sma_cross: 'fast=5..20:5,slow=30..90:30,trend=50..200:150',
  macd_cross: 'fast=8..12:4,slow=21..26:5,signal=5..9:4',
  rsi_reversion: 'period=7..14:7,lower=20..30:10,upper=70..80:10',
  bollinger_reversion: 'period=10..20:10,stdDev=1.5..2.5:0.5',
  donchian_breakout: 'entry=20..55:35,exit=10..20:10',
};
