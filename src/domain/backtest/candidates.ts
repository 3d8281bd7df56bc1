import { BadInputError } from '../errors';
import { getStrategy, strategyRegistry } from '../strategies';
import { parseGrid, validateGrid } from './sweep';
import { DEFAULT_RECOMMEND_GRIDS } from './walk-forward';

/** The candidates of a recommendation run: strategies and their grids. */
export interface RecommendCandidate {
  strategy: string;
  grid: string;
}

/** Strategies a recommendation considers by default: every registered one but the buy_and_hold baseline. */
export function defaultRecommendStrategies(): string[] {
  return [...strategyRegistry.keys()].filter((s) => s !== 'buy_and_hold');
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
    if (!grid) throw new BadInputError(`no grid for ${strategy}: give one`);
    validateGrid(strategy, parseGrid(grid));
    return { strategy, grid };
  });
}
