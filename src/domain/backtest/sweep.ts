import { z } from 'zod';
import type { EnrichedBar } from '../bar';
import { isIsoDate, type IsoDate } from '../dates';
import { parseTickerSymbols } from '../ticker-symbol';
import { BadInputError } from '../errors';
import { BarSeries } from '../strategies/bar-series';
import { getStrategy } from '../strategies/registry';
import type { AnyStrategy, StrategyParams } from '../strategies/strategy';
import { runBacktest } from './engine';
import type { BacktestResult } from './backtest.types';

/*
 * Parameter sweeps: one strategy over a grid of parameter sets for one
 * ticker, through the same backtest engine (and so the same strategy code) as
 * a single backtest. The ticker's BarSeries caches every indicator it
 * computes, so each distinct moving average is computed once per ticker,
 * whatever the number of parameter sets that read it.
 */

/** The largest grid a sweep accepts (parameter sets per ticker). */
export const MAX_GRID_COMBOS = 10_000;

/** One swept parameter and the values it takes, ascending. */
export interface GridAxis {
  name: string;
  values: number[];
}

/** A grid: the cartesian product of its axes (parameters not named keep the strategy's defaults). */
export type ParamGrid = GridAxis[];

const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const axisSchema = z
  .string()
  .trim()
  .regex(
    new RegExp(`^[A-Za-z][A-Za-z0-9_]*=${NUMBER}(?:\\.\\.${NUMBER}(?::${NUMBER})?)?$`),
    'expected name=a..b:step, name=a..b or name=value',
  );

/**
 * Parses `fast=5..20:5,slow=20..100:10` into axes. A part is `name=a..b:step`
 * (a to b inclusive, by step), `name=a..b` (step 1) or `name=value`. Throws
 * BadInputError naming the bad part: malformed, a step <= 0, b < a, a
 * repeated name, or more than `maxCombos` parameter sets in all.
 */
export function parseGrid(text: string, maxCombos = MAX_GRID_COMBOS): ParamGrid {
  if (typeof text !== 'string' || text.trim() === '')
    throw new BadInputError('grid: give at least one part, e.g. fast=5..20:5');
  const axes: ParamGrid = [];
  for (const part of text.split(',')) {
    const parsed = axisSchema.safeParse(part);
    if (!parsed.success)
      throw new BadInputError(
        `grid part ${JSON.stringify(part.trim().slice(0, 60))}: ${parsed.error.issues[0].message}`,
      );
    const [name, range] = parsed.data.split('=');
    const [bounds, stepText] = range.split(':');
    const [lowText, highText] = bounds.split('..');
    const low = Number(lowText);
    const high = highText === undefined ? low : Number(highText);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(step > 0))
      throw new BadInputError(`grid part ${JSON.stringify(part.trim())}: the step must be greater than 0`);
    if (high < low)
      throw new BadInputError(`grid part ${JSON.stringify(part.trim())}: the end ${high} is below the start ${low}`);
    if (axes.some((a) => a.name === name))
      throw new BadInputError(`grid part ${JSON.stringify(part.trim())}: ${name} is given twice`);
    const count = Math.floor((high - low) / step + 1e-9) + 1;
    if (count > maxCombos)
      throw new BadInputError(
        `grid part ${JSON.stringify(part.trim())}: ${count} values, more than the ${maxCombos} a sweep allows`,
      );
    // Rounded so that 1.5..3:0.5 gives 2.5, not 2.5000000000000004.
    const values = Array.from({ length: count }, (_, i) => Number((low + i * step).toFixed(10)));
    axes.push({ name, values });
  }
  const combos = gridSize(axes);
  if (combos > maxCombos)
    throw new BadInputError(`grid: ${combos} parameter sets, more than the ${maxCombos} a sweep allows`);
  return axes;
}

/** Number of parameter sets in `grid` (the product of the axis lengths). */
export function gridSize(grid: ParamGrid): number {
  return grid.reduce((n, axis) => n * axis.values.length, 1);
}

/** `fast=5..20:5`-like text of a grid (each axis listed as its values). */
export function formatGrid(grid: ParamGrid): string {
  return grid.map((a) => `${a.name}=${a.values.join('|')}`).join(',');
}

/** Every parameter set of `grid`, the last axis varying fastest (a stable order: a set's index identifies it). */
export function gridCombos(grid: ParamGrid): StrategyParams[] {
  let combos: StrategyParams[] = [{}];
  for (const axis of grid) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.name]: v })));
  return combos;
}

/** A grid's parameter sets validated against a strategy. */
export interface ValidatedGrid {
  strategy: string;
  /** Valid parameter sets (defaults filled in), in grid order. */
  combos: StrategyParams[];
  /** Sets the strategy refuses (e.g. fast >= slow), with the first reason. */
  skipped: number;
  skippedReason?: string;
}

/**
 * The parameter sets of `grid` that `strategy` accepts. A name the strategy
 * does not have is a BadInputError (naming it); sets with an invalid
 * combination (such as fast >= slow) are skipped and counted; no valid set at
 * all is a BadInputError with the first reason.
 */
export function validateGrid(strategy: AnyStrategy | string, grid: ParamGrid): ValidatedGrid {
  const resolved = typeof strategy === 'string' ? getStrategy(strategy) : strategy;
  const known = Object.keys(resolved.defaults);
  for (const axis of grid) {
    if (!known.includes(axis.name)) {
      throw new BadInputError(
        `grid part ${axis.name}: ${resolved.name} has no parameter ${axis.name} (its parameters: ${known.join(', ') || 'none'})`,
      );
    }
  }
  const combos: StrategyParams[] = [];
  let skipped = 0;
  let skippedReason: string | undefined;
  for (const raw of gridCombos(grid)) {
    try {
      combos.push({ ...resolved.parseParams(raw) });
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      skipped += 1;
      skippedReason ??= err.message;
    }
  }
  if (combos.length === 0)
    throw new BadInputError(`grid: no parameter set is valid for ${resolved.name} (${skippedReason})`);
  return { strategy: resolved.name, combos, skipped, ...(skippedReason ? { skippedReason } : {}) };
}

/** One parameter set's outcome in a sweep. */
export interface SweepRow {
  params: StrategyParams;
  /** As the engine rounds it (2 places). */
  returnPct: number;
  finalCapital: number;
  /** Orders: BUY and SELL fills after the first day (the engine's `orders`, the old trade count). */
  numTrades: number;
  /** Annualised Sharpe of the daily equity returns (see {@link EquityStats}); null without volatility. */
  sharpe: number | null;
  maxDrawdownPct: number;
}

/** What {@link sweepSeries} runs. */
export interface SweepInput {
  /** One ticker's bars, ascending (history before `startDate` included), or its BarSeries (its cache is reused). */
  bars: readonly EnrichedBar[] | BarSeries;
  strategy: AnyStrategy | string;
  /** Parameter sets (for instance {@link ValidatedGrid.combos}). */
  combos: readonly StrategyParams[];
  startDate?: IsoDate;
  endDate?: IsoDate;
  initialCapital?: number;
}

/**
 * Backtests every parameter set on one ticker (the engine's default fills:
 * all in at the signal day's close, no costs) and summarises each with its
 * return, trades, Sharpe and maximum drawdown. The per-day arrays are never
 * built (`output: 'summary'`): the risk figures come from one pass over the
 * closes and the trades ({@link addEquityPath}).
 */
export function sweepSeries(input: SweepInput): SweepRow[] {
  const series = BarSeries.from(input.bars);
  const strategy = typeof input.strategy === 'string' ? getStrategy(input.strategy) : input.strategy;
  const rows: SweepRow[] = new Array(input.combos.length);
  for (let c = 0; c < input.combos.length; c++) {
    const result = runBacktest({
      bars: series,
      strategy,
      params: input.combos[c],
      startDate: input.startDate,
      endDate: input.endDate,
      initialCapital: input.initialCapital,
      output: 'summary',
    });
    const stats = newEquityStats(result.initialCapital);
    addEquityPath(stats, series, result);
    rows[c] = {
      params: result.params,
      returnPct: result.returnPct,
      finalCapital: result.finalCapital,
      numTrades: result.orders,
      sharpe: sharpeOf(stats),
      maxDrawdownPct: stats.maxDrawdownPct,
    };
  }
  return rows;
}

/** Trading days a year, for annualisation (as in metrics.ts). */
const PERIODS_PER_YEAR = 252;
/** A daily deviation below this is rounding noise (as in metrics.ts). */
const ZERO_DEVIATION = 1e-12;

/**
 * Running statistics of an equity path, possibly stitched from several
 * backtests (walk-forward test windows): the daily returns
 * r_t = E_t / E_(t-1) - 1 (Welford's mean and sum of squared deviations) and
 * the maximum drawdown of the compounded path.
 */
export interface EquityStats {
  /** Daily returns seen. */
  count: number;
  mean: number;
  /** Sum of squared deviations from the mean. */
  m2: number;
  /** The path's equity after the last day (compounded across stitched backtests). */
  equity: number;
  peak: number;
  /** max over t of (1 - E_t / max(E_0..E_t)) x 100; 0 without a drawdown. */
  maxDrawdownPct: number;
}

/** Empty statistics of a path starting at `capital`. */
export function newEquityStats(capital: number): EquityStats {
  return { count: 0, mean: 0, m2: 0, equity: capital, peak: capital, maxDrawdownPct: 0 };
}

/**
 * Adds the daily equity of a backtest (with the engine's default `close`
 * execution) to `stats`, rebuilt from its trades and the closes: equity at
 * day i's close is cash + shares x close[i]. A later backtest continues the
 * path compounded from `stats.equity` (its first day, the initialisation day,
 * adds no return).
 */
export function addEquityPath(stats: EquityStats, series: BarSeries, result: BacktestResult): void {
  const close = series.close;
  const start = series.indexOnOrAfter(result.startDate);
  const end = series.indexOnOrBefore(result.endDate);
  const scale = stats.equity / result.initialCapital;
  let cash = result.initialCapital;
  let shares = 0;
  if (result.initialPosition) {
    cash = 0;
    shares = result.initialPosition.shares;
  }
  const trades = result.trades;
  let next = 0;
  let nextDay = trades.length > 0 ? series.indexOnOrAfter(trades[0].date) : Infinity;
  let previous = scale * (cash + shares * close[start]);
  let { count, mean, m2, peak, maxDrawdownPct } = stats;
  for (let i = start + 1; i <= end; i++) {
    while (nextDay === i) {
      const t = trades[next];
      // Fractional all-in fills spend or raise exactly the cash, as in the engine.
      if (t.side === 'BUY') {
        shares = t.shares;
        cash = 0;
      } else {
        cash = t.shares * t.price;
        shares = 0;
      }
      next += 1;
      nextDay = next < trades.length ? series.indexOnOrAfter(trades[next].date) : Infinity;
    }
    const equity = scale * (cash + shares * close[i]);
    const r = equity / previous - 1;
    count += 1;
    const delta = r - mean;
    mean += delta / count;
    m2 += delta * (r - mean);
    if (equity > peak) peak = equity;
    else {
      const drawdown = (1 - equity / peak) * 100;
      if (drawdown > maxDrawdownPct) maxDrawdownPct = drawdown;
    }
    previous = equity;
  }
  stats.count = count;
  stats.mean = mean;
  stats.m2 = m2;
  stats.peak = peak;
  stats.maxDrawdownPct = maxDrawdownPct;
  stats.equity = previous;
}

/**
 * Annualised Sharpe ratio of the path, risk-free rate 0 (as metrics.ts):
 * mean(r) / stdev(r) x sqrt(252) with the sample deviation; null with fewer
 * than 2 returns or a deviation below 1e-12.
 */
export function sharpeOf(stats: EquityStats): number | null {
  if (stats.count < 2) return null;
  const deviation = Math.sqrt(stats.m2 / (stats.count - 1));
  if (!(deviation > ZERO_DEVIATION)) return null;
  return (stats.mean / deviation) * Math.sqrt(PERIODS_PER_YEAR);
}

/**
 * The best row by Sharpe (a null Sharpe ranks last), then return, then the
 * earlier grid position; null for no rows. Rows with fewer than `minTrades`
 * trades are not eligible.
 */
export function bestSweepRow(rows: readonly SweepRow[], minTrades = 0): SweepRow | null {
  let best: SweepRow | null = null;
  for (const row of rows) {
    if (row.numTrades < minTrades) continue;
    if (best === null || compareRows(row, best) < 0) best = row;
  }
  return best;
}

/** Negative when `a` ranks before `b`: higher Sharpe (null last), then higher return. */
export function compareRows(
  a: Pick<SweepRow, 'sharpe' | 'returnPct'>,
  b: Pick<SweepRow, 'sharpe' | 'returnPct'>,
): number {
  const sa = a.sharpe ?? -Infinity;
  const sb = b.sharpe ?? -Infinity;
  if (sa !== sb) return sb - sa;
  return b.returnPct - a.returnPct;
}

/** A sweep as `algo sweep` and POST /sweeps ask for it, before validation. */
export interface SweepRequest {
  strategy: string;
  /** `name=a..b:step,...` */
  grid: string;
  tickers?: readonly string[];
  from?: IsoDate;
  to?: IsoDate;
  capital?: number;
}

/**
 * The one check of a sweep request, for every door: a registered strategy, a
 * grid with a valid set, real dates in order, a positive capital; the ticker
 * list upper-cased and de-duplicated. Throws a BadInputError naming the field.
 */
export function checkSweepRequest(request: SweepRequest): SweepRequest {
  const grid = String(request.grid ?? '').trim();
  try {
    validateGrid(request.strategy, parseGrid(grid));
  } catch (err) {
    if (err instanceof BadInputError && !err.field) throw new BadInputError(err.message, { field: 'grid' });
    throw err;
  }
  for (const [name, value] of [
    ['from', request.from],
    ['to', request.to],
  ] as const) {
    if (value !== undefined && !isIsoDate(value)) {
      throw new BadInputError(`${name}: ${JSON.stringify(value)} is not a valid date (expected YYYY-MM-DD)`, {
        field: name,
      });
    }
  }
  if (request.from && request.to && request.from > request.to) {
    throw new BadInputError(`from ${request.from} is after to ${request.to}`, { field: 'from' });
  }
  const { capital } = request;
  if (capital !== undefined && (typeof capital !== 'number' || !Number.isFinite(capital) || capital <= 0)) {
    throw new BadInputError(
      `capital must be a positive number (got ${Number.isFinite(capital) ? JSON.stringify(capital) : String(capital)})`,
      { field: 'capital' },
    );
  }
  const tickers = request.tickers ? parseTickerSymbols(request.tickers) : undefined;
  return {
    strategy: request.strategy,
    grid,
    ...(tickers ? { tickers } : {}),
    from: request.from,
    to: request.to,
    capital,
  };
}
