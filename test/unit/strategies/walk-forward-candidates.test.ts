import { near52WeekHigh } from '../../../examples/strategies/near-52-week-high.strategy';
import {
  defaultRecommendStrategies,
  derivedRecommendGrid,
  resolveCandidates,
} from '../../../src/domain/backtest/candidates';
import { parseGrid, validateGrid } from '../../../src/domain/backtest/sweep';
import { DEFAULT_RECOMMEND_GRIDS } from '../../../src/domain/backtest/walk-forward';
import { BadInputError } from '../../../src/domain/errors';
import { registerStrategies, strategyRegistry } from '../../../src/domain/strategies/registry';
import { BUILT_IN_RULES } from '../../../src/domain/strategies/rules/built-in-rules';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import type { AnyStrategy } from '../../../src/domain/strategies/strategy';
import { RecommendationsService } from '../../../src/services/recommendations.service';

const BUILT_INS = ['sma_cross', 'macd_cross', 'rsi_reversion', 'bollinger_reversion', 'donchian_breakout'];

describe('walk-forward candidates: the built-ins with a grid by default; a rule or plugin when named', () => {
  beforeAll(() => {
    registerStrategies([ruleStrategy(BUILT_IN_RULES[0]), near52WeekHigh as unknown as AnyStrategy]);
    expect(strategyRegistry.has('sma_cross_rule') && strategyRegistry.has('near_52_week_high')).toBe(true);
  });

  it('leaves a configured rule and a plugin out of the default candidates', () => {
    expect(defaultRecommendStrategies()).toEqual(BUILT_INS);
    expect(resolveCandidates()).toEqual(
      BUILT_INS.map((strategy) => ({ strategy, grid: DEFAULT_RECOMMEND_GRIDS[strategy] })),
    );
  });

  it('walks one forward when it is named, on a grid around its defaults, at the door the CLI and the API use', () => {
    const [builtIn, rule] = resolveCandidates(['sma_cross', 'sma_cross_rule']);
    expect(builtIn).toEqual({ strategy: 'sma_cross', grid: DEFAULT_RECOMMEND_GRIDS.sma_cross });
    const defaults = strategyRegistry.get('sma_cross_rule')!.defaults as Record<string, number>;
    const parts = Object.entries(defaults).map(([name, d]) => {
      const step = Math.max(1, Math.round(d / 2));
      return `${name}=${d - step}..${d + step}:${step}`;
    });
    expect(rule).toEqual({ strategy: 'sma_cross_rule', grid: parts.join(',') });
    // Every axis has three values, and the sets the bounds refuse are skipped, never run.
    const validated = validateGrid('sma_cross_rule', parseGrid(rule.grid));
    expect(validated.combos.length + validated.skipped).toBe(3 ** parts.length);
    expect(validated.combos.length).toBeGreaterThan(0);

    const plugin = derivedRecommendGrid('near_52_week_high');
    expect(plugin).not.toBeNull();
    const service = new RecommendationsService({});
    expect(service.input({ strategies: ['near_52_week_high'] })).toEqual({ strategies: ['near_52_week_high'] });
    expect(service.input({ strategies: ['macd_cross'] })).toEqual({ strategies: ['macd_cross'] });
  });

  it("writes a fractional default's steps without float noise, and refuses a strategy with no numeric parameter", () => {
    registerStrategies([
      ruleStrategy({
        name: 'band_test',
        description: 'momentum above a fraction of a percent',
        parameters: { k: { default: 0.3, min: 0.01, max: 1 } },
        entry: 'roc(10) > k',
        exit: 'roc(10) < 0',
      }),
    ]);
    expect(derivedRecommendGrid('band_test')).toBe('k=0.15..0.45:0.15');
    let error: unknown;
    try {
      new RecommendationsService({}).input({ strategies: ['buy_and_hold'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BadInputError);
  });
});
