import { BadInputError } from '../errors';
import { getStrategy, strategyRegistry } from '../strategies';
import { parseGrid, validateGrid } from './sweep';
import { DEFAULT_RECOMMEND_GRIDS } from './walk-forward';

/** The candidates of a recommendation run: strategies and their grids. */
export interface RecommendCandidate {
  strategy: string;
  grid: string;
}

/**
 * Strategies a recommendation considers by default: the built-ins with a
 * curated grid ({@link DEFAULT_RECOMMEND_GRIDS}; never the buy_and_hold
 * baseline). Configured rules and plugins are not default candidates (README,
 * "Walk-forward candidates"): every candidate added to a walk-forward is one
 * more chance to pick a lucky fit, a rule is often written after looking at
 * the same history, and a re-expression of a built-in would be counted twice.
 * Named, they are walked forward like a built-in ({@link derivedRecommendGrid}).
 */
export function defaultRecommendStrategies(): string[] {
  return [...strategyRegistry.keys()].filter((s) => s in DEFAULT_RECOMMEND_GRIDS);
}

/**
 * Validate a recommendation's candidates: known strategies (not
 * buy_and_hold, which is the baseline every candidate is judged against),
 * parseable grids with at least one valid set (the default grid when none is
 * given). Throws BadInputError naming the bad one.
 */
export function resolveCandidates(
  strategies?: readonly string[],
  grids: Readonly<Record<string, string>> = {},
): RecommendCandidate[] {
  const names = strategies?.length ? [...new Set(strategies)] : defaultRecommendStrategies();
  for (const name of Object.keys(grids)) {
    if (!names.includes(name))
      throw new BadInputError(`grid given for ${name}, which is not among the strategies (${names.join(', ')})`);
  }
  return names.map((strategy) => {
    getStrategy(strategy);
    if (strategy === 'buy_and_hold')
      throw new BadInputError('buy_and_hold is the baseline every recommendation must beat, not a candidate');
    const grid = grids[strategy] ?? DEFAULT_RECOMMEND_GRIDS[strategy] ?? derivedRecommendGrid(strategy);
    if (!grid) {
      throw new BadInputError(
        `${strategy} has no numeric parameter to choose on train: give its grid, or backtest it instead`,
      );
    }
    validateGrid(strategy, parseGrid(grid));
    return { strategy, grid };
  });
}

/**
 * The grid of a strategy named as a candidate without a curated grid (a
 * configured rule, a saved rule, a plugin): each numeric parameter at half,
 * once and one and a half times its default (`name=a..b:step`, whole steps
 * for a whole default); parameter sets outside the declared bounds are
 * skipped by {@link validateGrid}. Null when it has no numeric parameter.
 */
export function derivedRecommendGrid(strategyName: string): string | null {
  const parts = Object.entries(getStrategy(strategyName).defaults)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]))
    .map(([name, value]) => {
      if (value === 0) return `${name}=0`;
      const step = Number.isInteger(value) ? Math.max(1, Math.round(Math.abs(value) / 2)) : Math.abs(value) / 2;
      // 10 significant digits: 0.3 - 0.15 is written 0.15, not 0.15000000000000002.
      const text = (x: number) => String(Number(x.toPrecision(10)));
      return `${name}=${text(value - step)}..${text(value + step)}:${text(step)}`;
    });
  return parts.length > 0 ? parts.join(',') : null;
}
