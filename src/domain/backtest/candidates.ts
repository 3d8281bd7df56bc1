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
 * baseline). Configured rules and plugins are not candidates (README,
 * "Walk-forward candidates"): every candidate added to a walk-forward is one
 * more chance to pick a lucky fit, a rule is often written after looking at
 * the same history, and a re-expression of a built-in would be counted twice.
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
    const grid = grids[strategy] ?? DEFAULT_RECOMMEND_GRIDS[strategy];
    if (!grid) {
      throw new BadInputError(
        `${strategy} is not a walk-forward candidate: only the built-ins with a recommendation grid are ` +
          `(${Object.keys(DEFAULT_RECOMMEND_GRIDS).join(', ')}); backtest or sweep a configured rule or plugin instead`,
      );
    }
    validateGrid(strategy, parseGrid(grid));
    return { strategy, grid };
  });
}
