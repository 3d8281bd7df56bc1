import { BadInputError } from '../errors';
import type { StrategyParams } from '../strategies/strategy';

/*
 * A sweep as a parameter heatmap: two of its parameters on the axes, one
 * metric in the cells. Pure: the figures per parameter set come from the
 * SweepReader port (averaged over the tickers asked for).
 */

/** The metrics a heatmap can show. */
export const HEATMAP_METRICS = ['sharpe', 'returnPct', 'maxDrawdownPct', 'numTrades'] as const;
export type HeatmapMetric = (typeof HEATMAP_METRICS)[number];

/** One parameter set's figures, averaged over `tickers` tickers (null Sharpes left out of the mean). */
export interface ComboFigures {
  /** Index of the set in the sweep's parameter sets. */
  combo: number;
  tickers: number;
  sharpe: number | null;
  returnPct: number;
  maxDrawdownPct: number;
  numTrades: number;
}

/** One cell: the best set with these two axis values (over the other parameters), or null when no set has them. */
export interface HeatmapCell {
  value: number | null;
  params: StrategyParams;
  /** Tickers behind the figures. */
  tickers: number;
  sharpe: number | null;
  returnPct: number;
  maxDrawdownPct: number;
  numTrades: number;
}

export interface SweepHeatmap {
  metric: HeatmapMetric;
  /** Parameters with more than one value in the sweep, in grid order. */
  varying: string[];
  /** The axis parameters; `y` is null when only one parameter varies. */
  x: string | null;
  y: string | null;
  xs: number[];
  ys: number[];
  /** `cells[yi][xi]`; one row when `y` is null. */
  cells: Array<Array<HeatmapCell | null>>;
  /** The best cell by the metric, or null without figures. */
  best: HeatmapCell | null;
  /** How a cell chooses among the sets of the other varying parameters. */
  others: string;
}

/** True when `a` is better than `b` for `metric` (lower drawdown is better; a null Sharpe is worst). */
export function betterFor(metric: HeatmapMetric, a: number | null, b: number | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return metric === 'maxDrawdownPct' ? a < b : a > b;
}

const valueOf = (f: ComboFigures, metric: HeatmapMetric): number | null => f[metric];

/**
 * The heatmap of `parameterSets` (a sweep's valid sets in grid order) and
 * their figures. `x` and `y` default to the first two varying parameters;
 * each cell shows the set with the best metric among those sharing its two
 * axis values (the other varying parameters at their best). Throws a
 * BadInputError naming `x` or `y` when it is not a varying parameter.
 */
export function sweepHeatmap(input: {
  parameterSets: readonly StrategyParams[];
  figures: readonly ComboFigures[];
  metric?: HeatmapMetric;
  x?: string;
  y?: string;
}): SweepHeatmap {
  const metric = input.metric ?? 'sharpe';
  const names = input.parameterSets.length ? Object.keys(input.parameterSets[0]) : [];
  const distinct = new Map(
    names.map((n) => [n, [...new Set(input.parameterSets.map((p) => p[n]))].sort((a, b) => a - b)]),
  );
  const varying = names.filter((n) => distinct.get(n)!.length > 1);
  for (const [axis, name] of [
    ['x', input.x],
    ['y', input.y],
  ] as const) {
    if (name !== undefined && !varying.includes(name)) {
      throw new BadInputError(
        `${axis}: ${name} is not a parameter that varies in this sweep (varying: ${varying.join(', ') || 'none'})`,
        { field: axis },
      );
    }
  }
  if (input.x !== undefined && input.x === input.y)
    throw new BadInputError('x and y must be different parameters', { field: 'y' });
  const x = input.x ?? varying.find((n) => n !== input.y) ?? null;
  const y = input.y ?? varying.find((n) => n !== x) ?? null;
  const xs = x ? distinct.get(x)! : [];
  const ys = y ? distinct.get(y)! : [];
  const cells: Array<Array<HeatmapCell | null>> = (y ? ys : [0]).map(() => (x ? xs : [0]).map(() => null));
  let best: HeatmapCell | null = null;
  for (const f of input.figures) {
    const params = input.parameterSets[f.combo];
    if (!params) continue;
    const xi = x ? xs.indexOf(params[x]) : 0;
    const yi = y ? ys.indexOf(params[y]) : 0;
    const value = valueOf(f, metric);
    const current = cells[yi][xi];
    if (current === null || betterFor(metric, value, current.value)) {
      const cell: HeatmapCell = {
        value,
        params,
        tickers: f.tickers,
        sharpe: f.sharpe,
        returnPct: f.returnPct,
        maxDrawdownPct: f.maxDrawdownPct,
        numTrades: f.numTrades,
      };
      cells[yi][xi] = cell;
      if (best === null || betterFor(metric, value, best.value)) best = cell;
    }
  }
  const rest = varying.filter((n) => n !== x && n !== y);
  return {
    metric,
    varying,
    x,
    y,
    xs,
    ys,
    cells,
    best,
    others: rest.length
      ? `each cell shows the best ${rest.join(', ')} for its ${[x, y].filter(Boolean).join(' and ')}`
      : 'every parameter set has its own cell',
  };
}
